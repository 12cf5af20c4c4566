/* The book's interactive figures ("explorers"): plain JavaScript and SVG, no library.
 *
 * book/explorers.py writes, for each {{ explorer: name }} in a chapter, a
 * <div class="explorer" data-explorer="name"> holding the controls, an empty <svg> and the
 * data as JSON (computed by the logreg package when the book was built). This file draws
 * into that <svg> and keeps the numbers under it up to date. It is loaded on every page and
 * does nothing on a page without an explorer.
 *
 * sigma(w1 x1 + w2 x2 + b) depends on x only through the activation a = w.x + b, so its
 * contours are straight lines a = logit(p): each level line is a line clipped to the plot, and
 * each shaded band between two levels is the plot's rectangle cut by two half-planes.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  // The class colours (class A, y = 1: circles; class B, y = 0: triangles) and the contour levels
  // are logreg.plotting's, and come with each explorer's data (data.style, book/explorers.py).
  var MINUS = "\u2212";

  /* log sigma(t), exact for every finite t (the book's eq. logsigmoid; logreg.log_sigmoid). */
  function logSigmoid(t) {
    return t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t));
  }

  /* The unpenalised negative log-likelihood E(w, b) = -sum log sigma(s_n a_n), s_n = 2 y_n - 1:
   * the same formula as logreg.objective with l2 = 0. */
  function nll(X, y, w1, w2, b) {
    var total = 0;
    for (var n = 0; n < X.length; n++) {
      var a = w1 * X[n][0] + w2 * X[n][1] + b;
      total -= logSigmoid(y[n] === 1 ? a : -a);
    }
    return total;
  }

  /* Points on the wrong side of the boundary (logreg.predict says 1 where a > 0). */
  function misclassified(X, y, w1, w2, b) {
    var wrong = 0;
    for (var n = 0; n < X.length; n++) {
      var a = w1 * X[n][0] + w2 * X[n][1] + b;
      if ((a > 0 ? 1 : 0) !== y[n]) wrong++;
    }
    return wrong;
  }

  /* A number for the page: fixed decimals, a real minus sign, no "-0.00". */
  function num(x, digits) {
    var text = x.toFixed(digits);
    if (Number(text) === 0) text = text.replace("-", "");
    return text.replace("-", MINUS);
  }

  function lambdaText(l2) {
    return l2 >= 1e-4 ? String(Number(l2.toPrecision(3))) : l2.toPrecision(3);
  }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) node.setAttribute(key, attrs[key]);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function r2(v) { return Math.round(v * 100) / 100; }

  /* Keep the part of a convex polygon where s * (w.x + b - t) >= 0, or > 0 if strict
   * (Sutherland-Hodgman). Bands are half-open, so with w = 0 exactly one band fills the plot. */
  function clipHalfPlane(poly, w1, w2, b, t, s, strict) {
    var out = [];
    function inside(f) { return strict ? f > 0 : f >= 0; }
    for (var i = 0; i < poly.length; i++) {
      var p = poly[i], q = poly[(i + 1) % poly.length];
      var fp = s * (w1 * p[0] + w2 * p[1] + b - t);
      var fq = s * (w1 * q[0] + w2 * q[1] + b - t);
      if (inside(fp)) out.push(p);
      if (inside(fp) !== inside(fq) && fp !== fq) {
        var u = fp / (fp - fq);
        out.push([p[0] + u * (q[0] - p[0]), p[1] + u * (q[1] - p[1])]);
      }
    }
    return out;
  }

  /* The segment of the line w.x + b = t inside [lo, hi]^2, or null (Liang-Barsky). */
  function clipLine(w1, w2, b, t, lo, hi) {
    var nn = w1 * w1 + w2 * w2;
    if (!(nn > 0)) return null;
    var p = [(t - b) * w1 / nn, (t - b) * w2 / nn], d = [-w2, w1];
    var smin = -Infinity, smax = Infinity;
    for (var i = 0; i < 2; i++) {
      if (d[i] === 0) {
        if (p[i] < lo || p[i] > hi) return null;
      } else {
        var s1 = (lo - p[i]) / d[i], s2 = (hi - p[i]) / d[i];
        smin = Math.max(smin, Math.min(s1, s2));
        smax = Math.min(smax, Math.max(s1, s2));
      }
    }
    if (!(smax > smin)) return null;
    return [[p[0] + smin * d[0], p[1] + smin * d[1]], [p[0] + smax * d[0], p[1] + smax * d[1]]];
  }

  function logit(p) { return Math.log(p / (1 - p)); }

  /* The fill of the band between two sigma levels: blue towards 0, vermillion towards 1, clear
   * at 1/2 (logreg.plotting.probability_cmap), so it reads on a light and a dark page. */
  function bandStyle(mid, style) {
    return { fill: mid < 0.5 ? style.class_b : style.class_a, opacity: (0.55 * Math.abs(2 * mid - 1)).toFixed(3) };
  }

  /* The order in which the level lines get a label where there is room: the boundary (1/2)
   * first, then every other line from the outside in, then the rest (for 1/8, ..., 7/8:
   * 1/2; 1/4, 3/4; 1/8, 7/8; 3/8, 5/8). */
  function labelOrder(levels) {
    var mid = levels.indexOf(0.5);
    if (mid < 0) mid = Math.floor(levels.length / 2);
    function key(k) {
      var d = Math.abs(k - mid);
      return [k === mid ? 0 : 1, d % 2, -d, k];
    }
    return levels.map(function (p, k) { return k; }).sort(function (i, j) {
      var a = key(i), b = key(j);
      for (var t = 0; t < a.length; t++) if (a[t] !== b[t]) return a[t] - b[t];
      return 0;
    });
  }

  /* A square plot of the plane [lo, hi]^2 with axes, the sigma field and the data. */
  function Plane(svg, data) {
    var lo = data.extent[0], hi = data.extent[1];
    var left = 46, top = 10, size = 360, bottom = 42, right = 12;
    var W = left + size + right, H = top + size + bottom;
    this.lo = lo; this.hi = hi;
    this.sx = function (x) { return left + (x - lo) / (hi - lo) * size; };
    this.sy = function (y) { return top + (hi - y) / (hi - lo) * size; };
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    var uid = svg.closest("[id]") ? svg.closest("[id]").id : "explorer";
    var defs = el("defs", {}, svg);
    var clip = el("clipPath", { id: uid + "-clip" }, defs);
    el("rect", { x: left, y: top, width: size, height: size }, clip);

    var field = el("g", { "class": "explorer-field", "clip-path": "url(#" + uid + "-clip)" }, svg);
    var levels = this.levels = data.style.levels;
    this.labelOrder = labelOrder(levels);
    this.bands = [];
    for (var k = 0; k <= levels.length; k++) {
      var mid = (k + 0.5) / (levels.length + 1);
      var style = bandStyle(mid, data.style);
      this.bands.push(el("polygon", { fill: style.fill, "fill-opacity": style.opacity, points: "" }, field));
    }
    this.lines = levels.map(function (p) {
      return el("line", {
        stroke: "currentColor",
        "stroke-width": p === 0.5 ? 2.4 : 0.8,
        "stroke-opacity": p === 0.5 ? 1 : 0.7,
        visibility: "hidden"
      }, field);
    });
    this.reference = el("line", {
      stroke: "currentColor", "stroke-width": 1.6, "stroke-dasharray": "6 4", visibility: "hidden"
    }, field);
    this.labels = el("g", { "class": "explorer-labels", "font-size": 11 }, field);

    // Frame, ticks, axis labels.
    var axes = el("g", { "class": "explorer-axes", fill: "currentColor", "font-size": 13 }, svg);
    el("rect", {
      x: left, y: top, width: size, height: size, fill: "none", stroke: "currentColor",
      "stroke-width": 1, "stroke-opacity": 0.6
    }, axes);
    var step = hi - lo > 8 ? 2 : 1;
    for (var v = Math.ceil(lo / step) * step; v <= hi; v += step) {
      var x = r2(this.sx(v)), y = r2(this.sy(v));
      el("line", { x1: x, x2: x, y1: top + size, y2: top + size + 5, stroke: "currentColor" }, axes);
      el("line", { x1: left - 5, x2: left, y1: y, y2: y, stroke: "currentColor" }, axes);
      var label = (v < 0 ? MINUS : "") + Math.abs(v);
      el("text", { x: x, y: top + size + 19, "text-anchor": "middle" }, axes).textContent = label;
      el("text", { x: left - 8, y: y + 4.5, "text-anchor": "end" }, axes).textContent = label;
    }
    var xl = el("text", { x: left + size / 2, y: H - 4, "text-anchor": "middle", "font-style": "italic" }, axes);
    xl.textContent = "x\u2081";
    var yl = el("text", {
      x: 0, y: 0, "text-anchor": "middle", "font-style": "italic",
      transform: "translate(13 " + (top + size / 2) + ") rotate(-90)"
    }, axes);
    yl.textContent = "x\u2082";

    // The data, drawn once: class A as circles, class B as triangles, outlined in the ink.
    var pts = el("g", { "class": "explorer-points", stroke: "currentColor", "stroke-width": 0.6 }, svg);
    for (var n = 0; n < data.X.length; n++) {
      var px = r2(this.sx(data.X[n][0])), py = r2(this.sy(data.X[n][1]));
      if (data.y[n] === 1) {
        el("circle", { cx: px, cy: py, r: 4, fill: data.style.class_a }, pts);
      } else {
        el("path", {
          d: "M" + px + "," + r2(py - 4.8) + "L" + r2(px + 4.4) + "," + r2(py + 3.2) +
             "L" + r2(px - 4.4) + "," + r2(py + 3.2) + "Z",
          fill: data.style.class_b
        }, pts);
      }
    }
  }

  Plane.prototype.toScreen = function (poly) {
    var self = this;
    return poly.map(function (p) { return r2(self.sx(p[0])) + "," + r2(self.sy(p[1])); }).join(" ");
  };

  Plane.prototype.setLine = function (line, seg) {
    if (!seg) { line.setAttribute("visibility", "hidden"); return; }
    line.setAttribute("x1", r2(this.sx(seg[0][0])));
    line.setAttribute("y1", r2(this.sy(seg[0][1])));
    line.setAttribute("x2", r2(this.sx(seg[1][0])));
    line.setAttribute("y2", r2(this.sy(seg[1][1])));
    line.setAttribute("visibility", "visible");
  };

  /* Draw sigma(w1 x1 + w2 x2 + b): eight shaded bands, seven level lines, a few labels. */
  Plane.prototype.draw = function (w1, w2, b) {
    var lo = this.lo, hi = this.hi;
    var rect = [[lo, lo], [hi, lo], [hi, hi], [lo, hi]];
    var levels = this.levels;
    var cuts = [-Infinity].concat(levels.map(logit), [Infinity]);
    for (var k = 0; k < this.bands.length; k++) {
      var poly = rect;
      if (cuts[k] > -Infinity) poly = clipHalfPlane(poly, w1, w2, b, cuts[k], 1, false);
      if (cuts[k + 1] < Infinity) poly = clipHalfPlane(poly, w1, w2, b, cuts[k + 1], -1, true);
      this.bands[k].setAttribute("points", poly.length > 2 ? this.toScreen(poly) : "");
    }
    var placed = [];
    while (this.labels.firstChild) this.labels.removeChild(this.labels.firstChild);
    // Label the boundary first, then the other levels where there is room.
    var order = this.labelOrder;
    var segs = [];
    for (var i = 0; i < levels.length; i++) {
      segs[i] = clipLine(w1, w2, b, cuts[i + 1], lo, hi);
      this.setLine(this.lines[i], segs[i]);
    }
    for (var j = 0; j < order.length; j++) {
      var seg = segs[order[j]];
      if (!seg) continue;
      var ax = this.sx(seg[0][0]), ay = this.sy(seg[0][1]);
      var bx = this.sx(seg[1][0]), by = this.sy(seg[1][1]);
      var len = Math.hypot(bx - ax, by - ay);
      if (len < 60) continue;
      // The end of the segment nearer the top of the plot, 30 units in.
      if (by > ay) { var t1 = ax; ax = bx; bx = t1; var t2 = ay; ay = by; by = t2; }
      var lx = bx + (ax - bx) * (30 / len), ly = by + (ay - by) * (30 / len);
      var free = placed.every(function (q) { return Math.hypot(q[0] - lx, q[1] - ly) > 34; });
      if (!free) continue;
      placed.push([lx, ly]);
      var angle = Math.atan2(by - ay, bx - ax) * 180 / Math.PI;
      if (angle > 90) angle -= 180;
      if (angle <= -90) angle += 180;
      var text = String(levels[order[j]]);
      var g = el("g", { transform: "translate(" + r2(lx) + " " + r2(ly) + ") rotate(" + r2(angle) + ")" },
                 this.labels);
      var half = 3.3 * text.length + 2.5;
      el("rect", { x: r2(-half), y: -7, width: r2(2 * half), height: 13, rx: 2, "class": "explorer-label-bg" }, g);
      el("text", { x: 0, y: 3.8, "text-anchor": "middle", fill: "currentColor" }, g).textContent = text;
    }
  };

  Plane.prototype.setReference = function (w1, w2, b) {
    this.setLine(this.reference, clipLine(w1, w2, b, 0, this.lo, this.hi));
  };

  function readData(root) {
    var script = root.querySelector("script.explorer-data");
    return JSON.parse(script.textContent);
  }

  function setOutput(output, value, text) {
    if (!output) return;
    output.setAttribute("data-value", String(value));
    output.textContent = text;
  }

  /* Tell a screen reader the numbers once the controls have been still for a moment, not on
   * every step of a drag (the slider itself announces its own value as it moves). */
  var QUIET_MS = 700;
  function Announcer(root) {
    this.status = root.querySelector(".explorer-status");
    this.readout = root.querySelector(".explorer-readout");
    this.timer = null;
    this.armed = false; // not for the first drawing, when the page loads
  }
  Announcer.prototype.soon = function () {
    var self = this;
    if (!this.status || !this.readout || !this.armed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(function () {
      self.timer = null;
      var spans = self.readout.querySelectorAll(":scope > span");
      var parts = [];
      for (var i = 0; i < spans.length; i++) parts.push(spans[i].textContent.replace(/\s+/g, " ").trim());
      self.status.textContent = parts.join("; ");
    }, QUIET_MS);
  };

  /* The sigmoid chapter: sliders for w1, w2, b over the fuzzy data, E(w, b) underneath. */
  function initSigmoid(root) {
    var data = readData(root);
    var plane = new Plane(root.querySelector("svg.explorer-plot"), data);
    plane.setReference(data.optimum.w[0], data.optimum.w[1], data.optimum.b);
    var keys = ["w1", "w2", "b"];
    var sliders = {}, outputs = {};
    keys.forEach(function (key) {
      sliders[key] = root.querySelector('input[data-key="' + key + '"]');
      outputs[key] = root.querySelector('output[data-key="' + key + '"]');
    });
    var state = { w1: data.start.w[0], w2: data.start.w[1], b: data.start.b };
    var loss = root.querySelector("output.explorer-loss");
    var wrong = root.querySelector("output.explorer-wrong");
    var announcer = new Announcer(root);

    function update() {
      keys.forEach(function (key) { setOutput(outputs[key], state[key], num(state[key], 2)); });
      plane.draw(state.w1, state.w2, state.b);
      var e = nll(data.X, data.y, state.w1, state.w2, state.b);
      setOutput(loss, e, num(e, 3));
      var m = misclassified(data.X, data.y, state.w1, state.w2, state.b);
      setOutput(wrong, m, String(m));
      announcer.soon();
    }

    function jump(w1, w2, b) {
      state.w1 = w1; state.w2 = w2; state.b = b;
      keys.forEach(function (key) { sliders[key].value = String(state[key]); });
      update();
    }

    keys.forEach(function (key) {
      sliders[key].addEventListener("input", function () {
        state[key] = Number(sliders[key].value);
        update();
      });
    });
    root.querySelector('button[data-action="optimum"]').addEventListener("click", function () {
      jump(data.optimum.w[0], data.optimum.w[1], data.optimum.b);
    });
    root.querySelector('button[data-action="start"]').addEventListener("click", function () {
      jump(data.start.w[0], data.start.w[1], data.start.b);
    });
    jump(data.start.w[0], data.start.w[1], data.start.b);
    announcer.armed = true;
  }

  /* A small chart of ||w|| against lambda (log axis), with a dot at the current lambda. */
  function NormChart(svg, fits, style) {
    var left = 46, top = 12, w = 240, h = 200, bottom = 46, right = 16;
    svg.setAttribute("viewBox", "0 0 " + (left + w + right) + " " + (top + h + bottom));
    var lmin = Math.log10(fits[0].l2), lmax = Math.log10(fits[fits.length - 1].l2);
    var nmax = Math.max.apply(null, fits.map(function (f) { return f.norm; }));
    var ymax = Math.ceil(nmax / 2) * 2;
    this.sx = function (l2) { return left + (Math.log10(l2) - lmin) / (lmax - lmin) * w; };
    this.sy = function (v) { return top + (1 - v / ymax) * h; };
    var axes = el("g", { fill: "currentColor", "font-size": 13 }, svg);
    el("rect", {
      x: left, y: top, width: w, height: h, fill: "none", stroke: "currentColor",
      "stroke-width": 1, "stroke-opacity": 0.6
    }, axes);
    for (var e = Math.ceil(lmin); e <= lmax; e++) {
      var x = r2(this.sx(Math.pow(10, e)));
      el("line", { x1: x, x2: x, y1: top + h, y2: top + h + 5, stroke: "currentColor" }, axes);
      var t = el("text", { x: x, y: top + h + 19, "text-anchor": "middle", "font-size": 11 }, axes);
      t.textContent = String(Number(Math.pow(10, e).toPrecision(1)));
    }
    for (var v = 0; v <= ymax; v += 2) {
      var y = r2(this.sy(v));
      el("line", { x1: left - 5, x2: left, y1: y, y2: y, stroke: "currentColor" }, axes);
      el("text", { x: left - 8, y: y + 4.5, "text-anchor": "end" }, axes).textContent = String(v);
    }
    el("text", { x: left + w / 2, y: top + h + 40, "text-anchor": "middle" }, axes)
      .textContent = "penalty \u03bb (log scale)";
    el("text", {
      x: 0, y: 0, "text-anchor": "middle",
      transform: "translate(14 " + (top + h / 2) + ") rotate(-90)"
    }, axes).textContent = "\u2016w\u2016";
    var self = this;
    el("polyline", {
      points: fits.map(function (f) { return r2(self.sx(f.l2)) + "," + r2(self.sy(f.norm)); }).join(" "),
      fill: "none", stroke: "currentColor", "stroke-width": 1.6
    }, svg);
    this.dot = el("circle", { r: 5.5, fill: style.accent, stroke: "currentColor", "stroke-width": 1 }, svg);
  }

  NormChart.prototype.mark = function (fit) {
    this.dot.setAttribute("cx", r2(this.sx(fit.l2)));
    this.dot.setAttribute("cy", r2(this.sy(fit.norm)));
  };

  /* The separable chapter: a slider over the grid of lambda, each position a fit from logreg. */
  function initRegularisation(root) {
    var data = readData(root);
    var plane = new Plane(root.querySelector("svg.explorer-plot"), data);
    var chartSvg = root.querySelector("svg.explorer-chart");
    var chart = chartSvg ? new NormChart(chartSvg, data.fits, data.style) : null;
    var slider = root.querySelector('input[data-key="l2"]');
    var out = {
      l2: root.querySelector('output[data-key="l2"]'),
      w1: root.querySelector('output[data-key="w1"]'),
      w2: root.querySelector('output[data-key="w2"]'),
      b: root.querySelector('output[data-key="b"]'),
      norm: root.querySelector("output.explorer-norm"),
      nll: root.querySelector("output.explorer-loss")
    };
    var announcer = new Announcer(root);

    function update() {
      var i = Math.max(0, Math.min(data.fits.length - 1, Math.round(Number(slider.value))));
      var fit = data.fits[i];
      var text = lambdaText(fit.l2);
      slider.setAttribute("aria-valuetext", "\u03bb = " + text);
      setOutput(out.l2, fit.l2, text);
      setOutput(out.w1, fit.w[0], num(fit.w[0], 3));
      setOutput(out.w2, fit.w[1], num(fit.w[1], 3));
      setOutput(out.b, fit.b, num(fit.b, 3));
      setOutput(out.norm, fit.norm, num(fit.norm, 3));
      setOutput(out.nll, fit.nll, num(fit.nll, 3));
      plane.draw(fit.w[0], fit.w[1], fit.b);
      if (chart) chart.mark(fit);
      announcer.soon();
    }

    slider.addEventListener("input", update);
    slider.value = String(data.start);
    update();
    announcer.armed = true;
  }

  var INIT = { sigmoid: initSigmoid, regularisation: initRegularisation };

  function init() {
    var roots = document.querySelectorAll("div.explorer[data-explorer]");
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i], kind = root.getAttribute("data-explorer");
      if (root.getAttribute("data-ready") || !INIT[kind]) continue;
      root.setAttribute("data-ready", "true");
      INIT[kind](root);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
  // With Material's instant navigation (not enabled in mkdocs.yml, but harmless), pages are
  // swapped in without a load event; document$ emits for each of them.
  if (typeof window.document$ !== "undefined" && window.document$ && window.document$.subscribe) {
    window.document$.subscribe(init);
  }
})();
