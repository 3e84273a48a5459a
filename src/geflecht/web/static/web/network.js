// The network view: draws the graph JSON of /network/data.json with Cytoscape.js.
// Small graphs get a force-directed layout (cose); big ones a concentric layout by
// degree of separation, which stays fluid with 2,000 nodes.
(function () {
  "use strict";
  var box = document.getElementById("cy");
  if (!box || typeof cytoscape === "undefined") return;
  var status = document.getElementById("net-status");
  status.textContent = box.dataset.loading;

  fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(draw)
    .catch(function (err) { status.textContent = String(err); });

  function draw(data) {
    if (!data.nodes.length) { status.textContent = box.dataset.empty; return; }
    status.textContent = data.nodes.length + " · " + data.edges.length + (data.truncated ? " · " + box.dataset.truncated : "");
    var big = data.nodes.length > 300;
    var elements = data.nodes.map(function (n) { return { group: "nodes", data: n }; })
      .concat(data.edges.map(function (e, i) { return { group: "edges", data: { id: "e" + i, source: e.source, target: e.target, strength: e.strength } }; }));
    var cy = cytoscape({
      container: box,
      elements: elements,
      minZoom: 0.05,
      maxZoom: 4,
      wheelSensitivity: 0.3,
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      pixelRatio: big ? 1 : "auto",
      style: [
        { selector: "node", style: {
          "background-color": "data(color)", "label": "data(label)", "font-size": 10,
          "min-zoomed-font-size": 8, "width": 14, "height": 14, "color": "#1d2733",
          "text-valign": "bottom", "text-margin-y": 2 } },
        { selector: "node.quiet", style: { "label": "" } },
        { selector: "node.named", style: { "label": "data(label)", "z-index": 10, "font-size": 12, "text-background-color": "#fff", "text-background-opacity": 0.8 } },
        { selector: "node[?me]", style: { "width": 28, "height": 28, "border-width": 3, "border-color": "#1d2733", "font-weight": "bold" } },
        { selector: "edge", style: {
          "width": "mapData(strength, 0, 1, 0.5, 6)", "line-color": "#9fb0c0", "opacity": big ? 0.15 : 0.55,
          "curve-style": "haystack" } },
        { selector: ".faded", style: { "display": "none" } },
        { selector: "node:selected", style: { "border-width": 3, "border-color": "#e07a1f" } }
      ],
      layout: big
        ? { name: "concentric", concentric: function (n) { return n.data("me") ? 1000 : n.degree(); }, levelWidth: function () { return 4; }, minNodeSpacing: 4, animate: false }
        : { name: "cose", animate: false, numIter: 800, idealEdgeLength: 70, nodeRepulsion: 9000, randomize: true }
    });
    window.geflechtCy = cy;  // for browser tests and the console
    // Many names on top of each other are unreadable: name a node on hover instead.
    if (data.nodes.length > 40) {
      cy.nodes().not("[?me]").addClass("quiet");
      cy.on("mouseover", "node", function (evt) { evt.target.addClass("named"); });
      cy.on("mouseout", "node", function (evt) { evt.target.removeClass("named"); });
    }
    cy.on("tap", "node", function (evt) { window.location.href = evt.target.data("url"); });

    var hidden = {};
    var legend = document.getElementById("legend");
    data.legend.forEach(function (item) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.setAttribute("aria-pressed", "true");
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.backgroundColor = item.color;  // CSSOM, not an inline style attribute
      b.appendChild(sw);
      b.appendChild(document.createTextNode(" " + item.label + " (" + item.count + ")"));
      b.addEventListener("click", function () {
        hidden[item.color] = !hidden[item.color];
        b.setAttribute("aria-pressed", hidden[item.color] ? "false" : "true");
        applyFilters();
      });
      li.appendChild(b);
      legend.appendChild(li);
    });

    var slider = document.querySelector("[data-live-filter]");
    var out = document.getElementById("net-min-out");
    function applyFilters() {
      var min = slider ? parseFloat(slider.value) : 0;
      cy.batch(function () {
        cy.nodes().forEach(function (n) { n.toggleClass("faded", !!hidden[n.data("color")]); });
        cy.edges().forEach(function (e) {
          e.toggleClass("faded", e.data("strength") < min || e.source().hasClass("faded") || e.target().hasClass("faded"));
        });
      });
    }
    if (slider) slider.addEventListener("input", function () { out.textContent = slider.value; applyFilters(); });
  }
})();
