/* echochamber: the interactive map of a week (sigma.js on graphology; see interactive_map.py).
 * Reads the data from <script type="application/json" id="map-data">, builds the graph with the
 * positions computed in Python (no layout runs here), and wires search, hover and filters.
 * Text from the data reaches the page only through textContent (never innerHTML). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var N = data.nodes;
  var E = data.edges;
  var RINGS = data.rings;
  var graph = new window.graphology.Graph({ multi: true, type: "directed" });
  var state = { kinds: {}, hideFar: false, hideUnreached: false, focus: null, near: null };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  // a colour mixed with white: opaque, so WebGL blending cannot shift its hue
  function faded(hex, share) {
    var n = parseInt(hex.slice(1), 16);
    var mix = function (c) {
      return Math.round(c * share + 255 * (1 - share));
    };
    return "rgb(" + mix((n >> 16) & 255) + "," + mix((n >> 8) & 255) + "," + mix(n & 255) + ")";
  }

  function ringOf(i) {
    if (N.core[i]) return 0;
    var d = N.distance[i];
    return d === null ? 4 : Math.min(Math.max(d, 1), 3);
  }

  // a crowded map draws smaller discs: clearer rings, and less to fill per frame
  var scale = Math.max(0.4, Math.min(1, Math.sqrt(3000 / Math.max(N.handle.length, 1))));
  for (var i = 0; i < N.handle.length; i++) {
    var ring = ringOf(i);
    graph.addNode(String(i), {
      x: N.x[i],
      y: N.y[i],
      size: scale * Math.min(3.5 + 1.5 * Math.sqrt(Math.max(N.activity[i], 0)), 15),
      color: data.ringColours[ring],
      label: N.handle[i],
      ring: ring,
      forceLabel: !!N.bridge[i],
    });
  }
  var alpha = E.source.length > 5000 ? 0.35 : 0.6;
  var edgeColour = {};
  data.kinds.forEach(function (k) {
    state.kinds[k] = true;
    edgeColour[k] = faded(data.kindColours[k] || "#999999", alpha);
  });
  for (var j = 0; j < E.source.length; j++) {
    var kind = data.kinds[E.kind[j]];
    graph.addEdge(String(E.source[j]), String(E.target[j]), {
      kind: kind,
      color: edgeColour[kind],
      size: Math.min(0.5 + 0.5 * E.weight[j], 3),
    });
  }

  function shown(attrs) {
    return !((state.hideFar && attrs.ring === 3) || (state.hideUnreached && attrs.ring === 4));
  }

  var container = document.getElementById("map");
  // nodes as points (one vertex each, no instancing: smooth on weak and software GPUs); ties
  // as sigma's default quads (thickness by weight) on small maps, as 1-pixel lines on large ones
  var programs = {
    defaultNodeType: "point",
    nodeProgramClasses: { point: window.sigma.NodePointProgram },
  };
  if (E.source.length > 5000) {
    programs.defaultEdgeType = "line";
    programs.edgeProgramClasses = { line: window.sigma.EdgeLineProgram };
  }
  var renderer = new window.sigma.Sigma(graph, container, Object.assign(programs, {
    labelRenderedSizeThreshold: 7,
    labelDensity: 0.08,
    zIndex: true,
    hideEdgesOnMove: E.source.length > 20000,
    nodeReducer: function (node, attrs) {
      var res = Object.assign({}, attrs);
      if (!shown(attrs)) {
        res.hidden = true;
        return res;
      }
      if (state.focus !== null) {
        if (node === state.focus) {
          res.highlighted = true;
          res.forceLabel = true;
          res.zIndex = 2;
        } else if (!state.near.has(node)) {
          res.color = "#dddddd";
          res.forceLabel = false;
          res.label = "";
          res.zIndex = 0;
        } else {
          res.zIndex = 1;
        }
      }
      return res;
    },
    edgeReducer: function (edge, attrs) {
      var res = Object.assign({}, attrs);
      if (!state.kinds[attrs.kind]) res.hidden = true;
      else if (state.focus !== null && !graph.hasExtremity(edge, state.focus)) {
        res.color = "#eeeeee";
      }
      return res;
    },
  }));
  var camera = renderer.getCamera();

  // the frame: always centred on the core, whatever side the accounts fall on
  var reach = 1;
  for (var q = 0; q < N.x.length; q++) reach = Math.max(reach, Math.hypot(N.x[q], N.y[q]));
  reach += 0.4;
  renderer.setCustomBBox({ x: [-reach, reach], y: [-reach, reach] });
  renderer.refresh();

  // the rings behind the graph (a 2D canvas under sigma's layers), redrawn after each frame
  var used = {};
  for (var u = 0; u < N.x.length; u++) used[ringOf(u)] = true;
  var rings = document.createElement("canvas");
  rings.className = "rings";
  container.insertBefore(rings, container.firstChild);
  renderer.on("afterRender", function () {
    var ratio = window.devicePixelRatio || 1;
    var w = container.clientWidth;
    var h = container.clientHeight;
    if (rings.width !== Math.round(w * ratio) || rings.height !== Math.round(h * ratio)) {
      rings.width = Math.round(w * ratio);
      rings.height = Math.round(h * ratio);
    }
    var ctx = rings.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    var c = renderer.graphToViewport({ x: 0, y: 0 });
    ctx.strokeStyle = "#d0d0d0";
    ctx.fillStyle = "#888888";
    ctx.font = "12px system-ui, sans-serif";
    ctx.setLineDash([4, 4]);
    for (var k = 0; k < RINGS.length; k++) {
      if (!used[k]) continue;
      var edge = renderer.graphToViewport({ x: k === 0 ? 1 : k + 1, y: 0 });
      var r = Math.hypot(edge.x - c.x, edge.y - c.y);
      ctx.beginPath();
      ctx.arc(c.x, c.y, r, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.fillText(RINGS[k], c.x + r * 0.26 + 4, c.y - r * 0.97 + 4);
    }
  });
  renderer.refresh();

  // the header: title, summary and the ring legend
  document.getElementById("title").textContent =
    data.title + " " + data.week + (data.provisional ? " (provisional)" : "");
  document.getElementById("summary").textContent =
    N.handle.length + " accounts, " + E.source.length + " ties; rings: steps from the core";
  var legend = document.getElementById("legend");
  RINGS.forEach(function (name, k) {
    var item = el("span", undefined, "key");
    var dot = el("span", undefined, "dot");
    dot.style.background = data.ringColours[k];
    item.appendChild(dot);
    item.appendChild(document.createTextNode(name));
    legend.appendChild(item);
  });

  // interaction kinds: one checkbox each, coloured as its ties
  var kinds = document.getElementById("kinds");
  data.kinds.forEach(function (k) {
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = k;
    box.addEventListener("change", function () {
      state.kinds[k] = box.checked;
      renderer.refresh();
    });
    var swatch = el("span", undefined, "line");
    swatch.style.background = data.kindColours[k] || "#999999";
    label.appendChild(box);
    label.appendChild(swatch);
    label.appendChild(document.createTextNode(k));
    kinds.appendChild(label);
  });
  document.getElementById("far").addEventListener("change", function (e) {
    state.hideFar = e.target.checked;
    renderer.refresh();
  });
  document.getElementById("unreached").addEventListener("change", function (e) {
    state.hideUnreached = e.target.checked;
    renderer.refresh();
  });

  // hover: handle, core or outsider, travel distance, ties
  var tip = document.getElementById("tip");
  function describe(node) {
    var i = Number(node);
    var d = N.distance[i];
    return [
      N.handle[i],
      N.core[i] ? "core" : "outsider",
      N.core[i] ? "travel distance 0" : d === null ? "not reached" : "travel distance " + d,
      N.ties[i] + (N.ties[i] === 1 ? " tie" : " ties") + ", activity " + N.activity[i],
    ];
  }
  renderer.on("enterNode", function (e) {
    tip.replaceChildren();
    describe(e.node).forEach(function (line, k) {
      tip.appendChild(el("div", line, k === 0 ? "handle" : undefined));
    });
    var p = renderer.framedGraphToViewport(renderer.getNodeDisplayData(e.node));
    tip.style.left = Math.round(p.x + 12) + "px";
    tip.style.top = Math.round(p.y + 12) + "px";
    tip.hidden = false;
  });
  renderer.on("leaveNode", function () {
    tip.hidden = true;
  });

  // search: exact handle first, then one that starts with, then one that contains the text
  var lower = N.handle.map(function (h) {
    return h.toLowerCase();
  });
  function find(text) {
    var q = String(text || "").trim().toLowerCase().replace(/^@/, "");
    if (!q) return -1;
    var at = lower.indexOf(q);
    for (var k = 0; at < 0 && k < lower.length; k++) if (lower[k].indexOf(q) === 0) at = k;
    for (var m = 0; at < 0 && m < lower.length; m++) if (lower[m].indexOf(q) >= 0) at = m;
    return at;
  }
  var found = document.getElementById("found");
  function focus(text) {
    var at = find(text);
    if (at < 0) {
      state.focus = null;
      found.textContent = text ? "no account matches" : "";
      renderer.refresh();
      return null;
    }
    var key = String(at);
    state.focus = key;
    state.near = new Set(graph.neighbors(key));
    found.textContent = describe(key).join(" · ");
    renderer.refresh();
    var p = renderer.getNodeDisplayData(key);
    camera.animate({ x: p.x, y: p.y, ratio: 0.2 }, { duration: 300 });
    return N.handle[at];
  }
  document.getElementById("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    focus(document.getElementById("search").value);
  });
  document.getElementById("reset").addEventListener("click", function () {
    document.getElementById("search").value = "";
    focus("");
    camera.animate({ x: 0.5, y: 0.5, ratio: 1, angle: 0 }, { duration: 300 });
  });

  // for tests and benchmarks: what the page rendered
  window.echochamberMap = {
    nodeCount: graph.order,
    edgeCount: graph.size,
    renderer: renderer,
    find: focus,
    locate: function (text) {
      var at = find(text);
      if (at < 0) return null;
      var p = renderer.framedGraphToViewport(renderer.getNodeDisplayData(String(at)));
      return { x: p.x, y: p.y };
    },
    visibleNodes: function () {
      return graph.filterNodes(function (n, attrs) {
        return shown(attrs);
      }).length;
    },
    nodesInView: function () {
      var w = container.clientWidth;
      var h = container.clientHeight;
      return graph.filterNodes(function (n, attrs) {
        if (!shown(attrs)) return false;
        var p = renderer.graphToViewport({ x: attrs.x, y: attrs.y });
        return p.x >= 0 && p.y >= 0 && p.x <= w && p.y <= h;
      }).length;
    },
  };
})();
