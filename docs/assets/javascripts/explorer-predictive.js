/* The predictive explorer (chapter "Bayesian logistic regression"): plain JavaScript and SVG.
 *
 * book/explorers.py writes a <div class="explorer" data-explorer="predictive"> with two sliders
 * (the penalty lambda and the number of points N), an empty <svg> and, as JSON, one MAP fit per
 * (N, lambda) with its Laplace covariance H^-1 (bias last), all computed by logreg at build time.
 * For the chosen fit this file evaluates, on a grid over the plot, the activation's mean and
 * variance (the book's eq. actvar) and the probit predictive sigma(kappa(s^2) mu) (eq. probit),
 * the formula of logreg.inference.predictive_proba; it shades the plot with it, draws its 0.1,
 * 0.5 and 0.9 contours (marching squares), and the MAP fit's own 0.1 and 0.9 lines.
 *
 * The numbers under the plot change on every input; the sentence for screen readers lives in a
 * polite live region that is written only once the slider has rested for ANNOUNCE_MS, so moving a
 * slider is not announced at every step.
 */
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  // The class colours, the accent of the probe's ring and the contour levels come with the data
  // (data.style, book/explorers.py), from logreg.plotting: none is typed here.
  var MINUS = "\u2212";
  var GRID = 97;                // grid points per axis
  var ANNOUNCE_MS = 700;

  /* A colour "#rrggbb" as [r, g, b], for the canvas. */
  function rgb(hex) {
    var v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  function sigmoid(t) {
    return t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t));
  }

  /* mu, s^2 and the probit predictive at x for a fit {w, b, cov: [c00, c01, c02, c11, c12, c22]}. */
  function predictive(fit, x1, x2) {
    var c = fit.cov;
    var mu = fit.w[0] * x1 + fit.w[1] * x2 + fit.b;
    var s2 = c[0] * x1 * x1 + c[3] * x2 * x2 + c[5] + 2 * (c[1] * x1 * x2 + c[2] * x1 + c[4] * x2);
    if (s2 < 0) s2 = 0;
    return { mu: mu, s2: s2, p: sigmoid(mu / Math.sqrt(1 + Math.PI * s2 / 8)), map: sigmoid(mu) };
  }

  function num(x, digits) {
    var text = x.toFixed(digits);
    if (Number(text) === 0) text = text.replace("-", "");
    return text.replace("-", MINUS);
  }

  function lambdaText(l2) { return String(Number(l2.toPrecision(3))); }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    for (var key in attrs) {
      if (Object.prototype.hasOwnProperty.call(attrs, key)) node.setAttribute(key, attrs[key]);
    }
    if (parent) parent.appendChild(node);
    return node;
  }

  function r2(v) { return Math.round(v * 100) / 100; }

  /* Marching squares: the segments of the level line f = t on a grid of values f[j][i]. */
  function isoline(f, t, n, sx, sy) {
    var d = [];
    function cross(a, b) { return (t - a) / (b - a); }
    for (var j = 0; j + 1 < n; j++) {
      for (var i = 0; i + 1 < n; i++) {
        var v0 = f[j][i], v1 = f[j][i + 1], v2 = f[j + 1][i + 1], v3 = f[j + 1][i];
        var pts = [];
        // Edges: bottom (v0-v1), right (v1-v2), top (v3-v2), left (v0-v3); grid row j is x2 index.
        if ((v0 < t) !== (v1 < t)) pts.push([i + cross(v0, v1), j]);
        if ((v1 < t) !== (v2 < t)) pts.push([i + 1, j + cross(v1, v2)]);
        if ((v3 < t) !== (v2 < t)) pts.push([i + cross(v3, v2), j + 1]);
        if ((v0 < t) !== (v3 < t)) pts.push([i, j + cross(v0, v3)]);
        for (var k = 0; k + 1 < pts.length; k += 2) {
          d.push("M" + r2(sx(pts[k][0])) + "," + r2(sy(pts[k][1])) + "L" + r2(sx(pts[k + 1][0])) + "," +
                 r2(sy(pts[k + 1][1])));
        }
      }
    }
    return d.join("");
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

  function Plot(svg, data) {
    var lo = data.extent[0], hi = data.extent[1];
    var left = 46, top = 10, size = 360, bottom = 42, right = 12;
    this.lo = lo; this.hi = hi; this.left = left; this.top = top; this.size = size;
    this.sx = function (x) { return left + (x - lo) / (hi - lo) * size; };
    this.sy = function (y) { return top + (hi - y) / (hi - lo) * size; };
    svg.setAttribute("viewBox", "0 0 " + (left + size + right) + " " + (top + size + bottom));
    var defs = el("defs", {}, svg);
    var clip = el("clipPath", { id: "explorer-predictive-clip" }, defs);
    el("rect", { x: left, y: top, width: size, height: size }, clip);
    var field = el("g", { "clip-path": "url(#explorer-predictive-clip)" }, svg);
    this.image = el("image", { x: left, y: top, width: size, height: size, preserveAspectRatio: "none",
                               "class": "explorer-field-image" }, field);
    this.canvas = document.createElement("canvas");
    this.canvas.width = GRID; this.canvas.height = GRID;
    this.style = data.style;
    this.classA = rgb(data.style.class_a); this.classB = rgb(data.style.class_b);
    this.mapLines = [0, 1].map(function () {
      return el("line", { stroke: "currentColor", "stroke-width": 1.4, "stroke-dasharray": "6 4",
                          visibility: "hidden", "class": "explorer-map-line" }, field);
    });
    this.levels = data.style.levels.map(function (p) {
      return el("path", {
        // Solid: the path is many short marching-squares pieces, on which a dash pattern would restart.
        fill: "none", stroke: "currentColor", "stroke-width": p === 0.5 ? 2.4 : 1.2,
        "stroke-linejoin": "round", "class": "explorer-level", "data-level": String(p)
      }, field);
    });
    var axes = el("g", { fill: "currentColor", "font-size": 13 }, svg);
    el("rect", { x: left, y: top, width: size, height: size, fill: "none", stroke: "currentColor",
                 "stroke-width": 1, "stroke-opacity": 0.6 }, axes);
    for (var v = Math.ceil(lo / 2) * 2; v <= hi; v += 2) {
      var x = r2(this.sx(v)), y = r2(this.sy(v));
      el("line", { x1: x, x2: x, y1: top + size, y2: top + size + 5, stroke: "currentColor" }, axes);
      el("line", { x1: left - 5, x2: left, y1: y, y2: y, stroke: "currentColor" }, axes);
      var label = (v < 0 ? MINUS : "") + Math.abs(v);
      el("text", { x: x, y: top + size + 19, "text-anchor": "middle" }, axes).textContent = label;
      el("text", { x: left - 8, y: y + 4.5, "text-anchor": "end" }, axes).textContent = label;
    }
    el("text", { x: left + size / 2, y: top + size + 38, "text-anchor": "middle", "font-style": "italic" }, axes)
      .textContent = "x\u2081";
    el("text", { x: 0, y: 0, "text-anchor": "middle", "font-style": "italic",
                 transform: "translate(13 " + (top + size / 2) + ") rotate(-90)" }, axes).textContent = "x\u2082";
    this.points = el("g", { stroke: "currentColor", "stroke-width": 0.6, "class": "explorer-points" }, svg);
    var px = r2(this.sx(data.probe[0])), py = r2(this.sy(data.probe[1]));
    el("circle", { cx: px, cy: py, r: 7, fill: "none", stroke: data.style.accent, "stroke-width": 2.4 }, svg);
    el("path", { d: "M" + (px - 3) + "," + py + "H" + (px + 3) + "M" + px + "," + (py - 3) + "V" + (py + 3),
                 stroke: "currentColor", "stroke-width": 1.2 }, svg);
  }

  Plot.prototype.drawPoints = function (X, y, n) {
    while (this.points.firstChild) this.points.removeChild(this.points.firstChild);
    for (var k = 0; k < n; k++) {
      var px = r2(this.sx(X[k][0])), py = r2(this.sy(X[k][1]));
      if (y[k] === 1) {
        el("circle", { cx: px, cy: py, r: 3.6, fill: this.style.class_a }, this.points);
      } else {
        el("path", { d: "M" + px + "," + r2(py - 4.3) + "L" + r2(px + 4) + "," + r2(py + 2.9) + "L" +
                     r2(px - 4) + "," + r2(py + 2.9) + "Z", fill: this.style.class_b }, this.points);
      }
    }
  };

  Plot.prototype.draw = function (fit) {
    var lo = this.lo, hi = this.hi, n = GRID, f = [];
    var ctx = this.canvas.getContext("2d");
    var img = ctx.createImageData(n, n);
    for (var j = 0; j < n; j++) {
      var x2 = lo + (hi - lo) * j / (n - 1), row = [];
      for (var i = 0; i < n; i++) {
        var x1 = lo + (hi - lo) * i / (n - 1);
        var p = predictive(fit, x1, x2).p;
        row.push(p);
        var colour = p < 0.5 ? this.classB : this.classA;
        var at = 4 * ((n - 1 - j) * n + i);  // canvas rows run downwards, x2 upwards
        img.data[at] = colour[0]; img.data[at + 1] = colour[1]; img.data[at + 2] = colour[2];
        img.data[at + 3] = Math.round(255 * 0.6 * Math.abs(2 * p - 1));
      }
      f.push(row);
    }
    ctx.putImageData(img, 0, 0);
    this.image.setAttribute("href", this.canvas.toDataURL("image/png"));
    var self = this;
    var step = this.size / (n - 1);
    function gx(i) { return self.left + i * step; }
    function gy(j) { return self.top + self.size - j * step; }
    var levels = this.style.levels;
    for (var k = 0; k < levels.length; k++) {
      this.levels[k].setAttribute("d", isoline(f, levels[k], n, gx, gy));
    }
    // The MAP model's outermost levels are straight lines, a = logit(p).
    var outer = [levels[0], levels[levels.length - 1]];
    outer.map(function (p) { return Math.log(p / (1 - p)); }).forEach(function (t, m) {
      var seg = clipLine(fit.w[0], fit.w[1], fit.b, t, lo, hi), line = self.mapLines[m];
      if (!seg) { line.setAttribute("visibility", "hidden"); return; }
      line.setAttribute("x1", r2(self.sx(seg[0][0]))); line.setAttribute("y1", r2(self.sy(seg[0][1])));
      line.setAttribute("x2", r2(self.sx(seg[1][0]))); line.setAttribute("y2", r2(self.sy(seg[1][1])));
      line.setAttribute("visibility", "visible");
    });
  };

  function setOutput(output, value, text) {
    output.setAttribute("data-value", String(value));
    output.textContent = text;
  }

  function init(root) {
    var data = JSON.parse(root.querySelector("script.explorer-data").textContent);
    var plot = new Plot(root.querySelector("svg.explorer-plot"), data);
    var sliders = { l2: root.querySelector('input[data-key="l2"]'), n: root.querySelector('input[data-key="n"]') };
    function out(key) { return root.querySelector('output[data-key="' + key + '"]'); }
    var live = root.querySelector(".explorer-announce");
    var timer = null, shownN = -1;

    function current() {
      var i = Math.max(0, Math.min(data.ns.length - 1, Math.round(Number(sliders.n.value))));
      var j = Math.max(0, Math.min(data.l2s.length - 1, Math.round(Number(sliders.l2.value))));
      return { i: i, j: j, n: data.ns[i], l2: data.l2s[j], fit: data.fits[i][j] };
    }

    function sentence(c, at) {
      return "\u03bb = " + lambdaText(c.l2) + ", N = " + c.n + " points: at the marked point (" +
        num(data.probe[0], 0) + ", " + num(data.probe[1], 0) + ") the MAP model says " + num(at.map, 3) +
        " and the predictive " + num(at.p, 3) + ".";
    }

    function update(announce) {
      var c = current();
      var at = predictive(c.fit, data.probe[0], data.probe[1]);
      sliders.l2.setAttribute("aria-valuetext", "\u03bb = " + lambdaText(c.l2));
      sliders.n.setAttribute("aria-valuetext", c.n + " points");
      setOutput(out("l2"), c.l2, lambdaText(c.l2));
      setOutput(out("n"), c.n, String(c.n));
      setOutput(out("map"), at.map, num(at.map, 3));
      setOutput(out("pred"), at.p, num(at.p, 3));
      setOutput(out("s"), Math.sqrt(at.s2), num(Math.sqrt(at.s2), 2));
      if (c.n !== shownN) { plot.drawPoints(data.X, data.y, c.n); shownN = c.n; }
      plot.draw(c.fit);
      if (announce) {
        if (timer) clearTimeout(timer);
        timer = setTimeout(function () { timer = null; live.textContent = sentence(c, at); }, ANNOUNCE_MS);
      }
    }

    sliders.l2.addEventListener("input", function () { update(true); });
    sliders.n.addEventListener("input", function () { update(true); });
    sliders.l2.value = String(data.start[1]);
    sliders.n.value = String(data.start[0]);
    update(false);
  }

  function initAll() {
    var roots = document.querySelectorAll('div.explorer[data-explorer="predictive"]');
    for (var k = 0; k < roots.length; k++) {
      if (roots[k].getAttribute("data-ready")) continue;
      roots[k].setAttribute("data-ready", "true");
      init(roots[k]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
  if (typeof window.document$ !== "undefined" && window.document$ && window.document$.subscribe) {
    window.document$.subscribe(initAll);
  }
})();
