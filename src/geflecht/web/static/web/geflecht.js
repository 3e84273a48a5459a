// Geflecht page behaviour: keyboard shortcut for search, autosubmitting selects, picking
// people from autocomplete lists. No inline scripts anywhere (Content-Security-Policy).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // "/" focuses the global search from anywhere except while typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) return;
    var box = document.querySelector("[data-shortcut='/']");
    if (box) { event.preventDefault(); box.focus(); box.select(); }
  });

  // Escape closes an open suggestion list; arrow keys move through it.
  document.addEventListener("keydown", function (event) {
    var list = event.target.closest && event.target.closest(".globalsearch, .field");
    if (!list) return;
    var box = list.querySelector(".suggest");
    if (!box) return;
    if (event.key === "Escape") { box.innerHTML = ""; return; }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var items = Array.prototype.slice.call(box.querySelectorAll("a, button"));
    if (!items.length) return;
    event.preventDefault();
    var at = items.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? Math.min(at + 1, items.length - 1) : at - 1;
    if (next < 0) { list.querySelector("input[type=search]").focus(); } else { items[next].focus(); }
  });

  // Clicking elsewhere closes suggestion lists.
  document.addEventListener("click", function (event) {
    document.querySelectorAll(".suggest").forEach(function (box) {
      if (!box.parentNode.contains(event.target)) box.innerHTML = "";
    });
  });

  // <select data-autosubmit> submits its form when changed.
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-autosubmit]")) {
      event.target.form.requestSubmit ? event.target.form.requestSubmit() : event.target.form.submit();
    }
  });

  function setAvoid(form) {
    var ids = Array.prototype.map.call(form.querySelectorAll("#avoid-chips li"), function (li) { return li.dataset.id; });
    form.querySelector("#id_avoid").value = ids.join(",");
  }

  // Autocomplete lists with data-pick fill a form field instead of following a link.
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest("button.pick");
    if (pick) {
      var form = pick.closest("form");
      if (pick.dataset.pick === "target") {
        form.querySelector("#id_target").value = pick.dataset.id;
        form.querySelector("#target-q").value = pick.dataset.label;
      } else if (pick.dataset.pick === "avoid") {
        var chips = form.querySelector("#avoid-chips");
        if (!chips.querySelector("li[data-id='" + pick.dataset.id + "']")) {
          var li = document.createElement("li");
          li.dataset.id = pick.dataset.id;
          li.textContent = pick.dataset.label + " ";
          var x = document.createElement("button");
          x.type = "button"; x.className = "chip-x"; x.textContent = "×";
          x.setAttribute("aria-label", "remove");
          li.appendChild(x);
          chips.appendChild(li);
        }
        form.querySelector("#avoid-q").value = "";
        setAvoid(form);
      }
      pick.closest(".suggest").innerHTML = "";
      return;
    }
    var remove = event.target.closest && event.target.closest(".chip-x");
    if (remove) {
      var f = remove.closest("form");
      remove.closest("li").remove();
      setAvoid(f);
    }
  });

  // Upload progress for the import form (htmx reports it as htmx:xhr:progress).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var bar = document.getElementById("import-progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    var status = document.getElementById("import-status");
    if (status) status.textContent = bar.value < 100 ? bar.value + " %" : "…";
  });
  document.addEventListener("htmx:afterRequest", function () {
    var status = document.getElementById("import-status");
    var bar = document.getElementById("import-progress");
    if (status) status.textContent = "";
    if (bar) bar.hidden = true;
  });
})();
