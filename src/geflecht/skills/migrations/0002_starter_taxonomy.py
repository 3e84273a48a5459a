"""Give every existing tenant the starter taxonomy (new tenants: `geflecht skills load`)."""

import json
from importlib import resources

from django.db import migrations


def load(apps, schema_editor):
    Tenant = apps.get_model("accounts", "Tenant")
    Skill = apps.get_model("skills", "Skill")
    text = resources.files("geflecht.skills").joinpath("data/taxonomy.json").read_text("utf-8")
    entries = json.loads(text)["skills"]
    for tenant in Tenant.objects.all():
        by_key = {s.key: s for s in Skill.objects.filter(tenant=tenant)}
        for e in entries:
            if e["key"] in by_key:
                continue
            by_key[e["key"]] = Skill.objects.create(
                tenant=tenant,
                key=e["key"],
                name_de=e["name_de"],
                name_en=e["name_en"],
                synonyms=e["synonyms"],
                parent=by_key.get(e["parent"]) if e["parent"] else None,
            )


class Migration(migrations.Migration):
    dependencies = [("skills", "0001_skills_taxonomy_person_skills_capabilities")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
