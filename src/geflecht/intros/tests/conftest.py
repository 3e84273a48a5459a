from geflecht.events.tests.conftest import fair_world  # noqa: F401  (the shared small network)
