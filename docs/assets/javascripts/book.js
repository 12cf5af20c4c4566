/* Small reading aids for every page of the book; plain JavaScript, no library.
 *
 * A box that scrolls sideways (a wide formula, a code listing or a table on a phone) must take
 * keyboard focus, or a keyboard user cannot scroll it (WCAG 2.1.1). Only boxes that actually
 * overflow get a tab stop, and they get or lose it again when the width changes.
 */
(function () {
  "use strict";

  var SCROLLERS = ".md-typeset .equation > .equation-body, .md-typeset pre > code, " +
    ".md-typeset .md-typeset__scrollwrap";

  function label(box) {
    var eq = box.closest(".equation");
    if (eq) {
      var no = eq.querySelector(".eqno");
      return (no ? "Equation " + no.textContent : "Equation") + ", scrolls sideways";
    }
    return box.matches("code") ? "Code, scrolls sideways" : "Table, scrolls sideways";
  }

  function firstLineRight(code) {
    var walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    var right = 0, top = null, t;
    while ((t = walker.nextNode())) {
      var range = document.createRange();
      range.selectNodeContents(t);
      var rects = range.getClientRects();
      for (var i = 0; i < rects.length; i++) {
        if (!rects[i].width) continue;
        if (top === null) top = rects[i].top;
        if (rects[i].top > top + 2) return right;  // the second line has begun
        right = Math.max(right, rects[i].right);
      }
    }
    return right;
  }

  function update(box) {
    var overflows = box.scrollWidth > box.clientWidth + 1;
    // Material's copy button sits over a listing's top right corner: where the first line
    // reaches under it (or the listing is wider than its box), the button gets a row of its own
    // above the code (reading.css), instead of hiding the line's end.
    if (box.matches("code")) {
      var room = box.getBoundingClientRect().right - 2.6 * parseFloat(getComputedStyle(box).fontSize);
      box.classList.toggle("book-copy-row", overflows || firstLineRight(box) > room);
    }
    if (overflows && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.dataset.bookFocus = "";
      if (!box.matches("code")) {  // Material labels its own code blocks
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label(box));
      }
    } else if (!overflows && "bookFocus" in box.dataset) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      delete box.dataset.bookFocus;
    }
  }

  function start() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(SCROLLERS));
    boxes.forEach(update);
    if ("ResizeObserver" in window) {
      var observer = new ResizeObserver(function (entries) {
        entries.forEach(function (e) { update(e.target); });
      });
      boxes.forEach(function (box) { observer.observe(box); });
    }
    // Fonts change a formula's width after the first layout.
    if (document.fonts && document.fonts.ready) {
      document.fonts.ready.then(function () { boxes.forEach(update); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* Equation links preview their target: resting the pointer on "(4.2)", or focusing it from the
 * keyboard, shows equation (4.2) in a small box beside the link, so a reader need not leave the
 * sentence. The target is copied from this page, or, for an equation of another chapter, from
 * the <template id="book-equation-previews"> that book/hooks.py puts in the page (no request:
 * it works from disk too). Escape, moving away or blurring hides it.
 */
(function () {
  "use strict";

  var box = null;
  var owner = null;

  function target(link) {
    var id = decodeURIComponent((link.getAttribute("href") || "").split("#")[1] || "");
    if (!id) return null;
    var sameFile = link.pathname === location.pathname;
    if (sameFile) {
      var here = document.getElementById(id);
      if (here) return here;
    }
    var store = document.getElementById("book-equation-previews");
    return store ? store.content.querySelector('[data-preview="' + id + '"]') : null;
  }

  function hide() {
    if (box) {
      box.remove();
      box = null;
    }
    if (owner) {
      owner.removeAttribute("aria-describedby");
      owner = null;
    }
  }

  function show(link) {
    var eq = target(link);
    if (!eq || owner === link) return;
    hide();
    box = document.createElement("div");
    box.className = "book-eqpreview md-typeset";
    box.id = "book-eqpreview";
    box.setAttribute("role", "tooltip");
    var copy = eq.cloneNode(true);
    copy.removeAttribute("id");
    copy.removeAttribute("data-preview");
    Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (el) { el.removeAttribute("id"); });
    Array.prototype.forEach.call(copy.querySelectorAll("[tabindex]"), function (el) { el.removeAttribute("tabindex"); });
    box.appendChild(copy);
    document.body.appendChild(box);
    if (window.bookFitFences) window.bookFitFences(box);
    var r = link.getBoundingClientRect();
    var width = Math.min(box.offsetWidth, document.documentElement.clientWidth - 16);
    var left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
    var below = r.bottom + 6;
    var top = below + box.offsetHeight > window.innerHeight && r.top - box.offsetHeight - 6 > 0
      ? r.top - box.offsetHeight - 6 : below;
    box.style.left = left + "px";
    box.style.top = top + window.scrollY + "px";
    owner = link;
    link.setAttribute("aria-describedby", box.id);
  }

  function linkOf(event) {
    return event.target instanceof Element ? event.target.closest("a.eqref") : null;
  }

  document.addEventListener("mouseover", function (e) {
    var link = linkOf(e);
    if (link) show(link);
  });
  document.addEventListener("mouseout", function (e) {
    var link = linkOf(e);
    if (link && link === owner && !(e.relatedTarget instanceof Node && link.contains(e.relatedTarget))) hide();
  });
  document.addEventListener("focusin", function (e) {
    var link = linkOf(e);
    if (link) show(link); else hide();
  });
  document.addEventListener("focusout", function (e) {
    if (linkOf(e) === owner) hide();
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") hide();
  });
})();

/* Stretchy brackets sized by what they enclose (\left( ... \right), matrices): Chromium gives
 * each a box as wide as the font's widest variant of it (0.875 em for a parenthesis) and centres
 * the variant it draws, so the bracket stood apart from its contents. Once the math font is in,
 * each such bracket's height says which variant is drawn (Latin Modern Math's MATH table, the
 * same table as FENCE_VARIANTS in book/mathml.py, which trims the \biggl-sized ones at build
 * time), and a negative margin takes the empty sides off its box.
 */
(function () {
  "use strict";

  var VARIANTS = {  // heights and advances in em, smallest first (book/mathml.py: FENCE_VARIANTS)
    "()": [[0.997, 1.095, 1.195, 1.445, 1.793, 2.093, 2.393, 2.991],
           [0.389, 0.422, 0.458, 0.523, 0.597, 0.663, 0.736, 0.875]],
    "[]": [[1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001],
           [0.278, 0.340, 0.417, 0.444, 0.472, 0.499, 0.528, 0.667]],
    "{}": [[1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001],
           [0.500, 0.540, 0.583, 0.624, 0.667, 0.707, 0.750, 0.902]],
    "⟨⟩": [[1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001],
           [0.389, 0.428, 0.472, 0.537, 0.611, 0.677, 0.750, 0.908]],
    "⌊⌋⌈⌉": [[1.001, 1.101, 1.201, 1.451, 1.801, 2.101, 2.401, 3.001],
             [0.444, 0.458, 0.472, 0.499, 0.528, 0.555, 0.583, 0.667]],
    "‖": [[1.001, 1.203, 1.445, 1.735, 2.085, 2.503, 3.005, 3.607],
          [0.398, 0.354, 0.364, 0.372, 0.386, 0.396, 0.410, 0.424]]
  };

  function trim(mo) {
    var ch = mo.textContent.trim();
    for (var key in VARIANTS) {
      if (ch.length !== 1 || key.indexOf(ch) < 0) continue;
      var heights = VARIANTS[key][0], advances = VARIANTS[key][1];
      var em = parseFloat(getComputedStyle(mo).fontSize);
      var tall = mo.getBoundingClientRect().height / em;
      var widest = Math.max.apply(null, advances), advance = widest;
      // The variant drawn is the first one as tall as the box (past the last: the assembly).
      for (var i = 0; i < heights.length; i++) {
        if (heights[i] >= tall - 0.02) { advance = advances[i]; break; }
      }
      return (widest - advance) / 2;
    }
    return 0;
  }

  function fit(root) {
    var fences = (root && root.querySelectorAll ? root : document).querySelectorAll("math mo:not([stretchy='false']):not([style])");
    Array.prototype.forEach.call(fences, function (mo) {
      var t = trim(mo);
      if (t > 0.001) mo.style.margin = "0 -" + t.toFixed(4) + "em";
    });
  }

  window.bookFitFences = fit;  // the equation previews call it on their copies
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () { fit(); });
  } else {
    window.addEventListener("load", function () { fit(); });
  }
})();

/* Searching for a symbol: "λ" alone finds the sections that use λ. Two things stood in the way.
 * Material reads the search box on "keyup", and a "λ" that comes without one (pasted, picked
 * from an input method or a character palette) was never searched: here every "input" in the
 * box is followed by a keyup for Material to read it. And Material's search drops what its
 * tokenizer cannot index (a lone Greek letter is not a word to it), so a query of one symbol
 * found nothing: book/hooks.py indexes each symbol's name (SYMBOL_NAMES, in a field the
 * snippets do not show), and here a symbol typed as a word of the query is searched as that
 * name. The box keeps what the reader typed: only the message to the search worker changes
 * (Material's query message is {type: 2, data: query}; book/README.md lists the ties to Material).
 */
(function () {
  "use strict";

  var NAMES = {  // the same as SYMBOL_NAMES in book/hooks.py
    "λ": "lambda", "σ": "sigma", "θ": "theta", "ε": "epsilon", "ϵ": "epsilon", "μ": "mu",
    "α": "alpha", "β": "beta", "δ": "delta", "ℓ": "ell", "∇": "nabla", "π": "pi"
  };
  var QUERY = 2;

  function spell(query) {
    return query.split(/(\s+)/).map(function (word) {
      return Object.prototype.hasOwnProperty.call(NAMES, word) ? NAMES[word] : word;
    }).join("");
  }
  window.bookSpellSymbols = spell;

  document.addEventListener("input", function (e) {
    var box = e.target;
    if (box instanceof HTMLInputElement && box.matches("input.md-search__input") && !e.isComposing) {
      box.dispatchEvent(new KeyboardEvent("keyup", {bubbles: true}));
    }
  });

  // The offline edition's stand-in for Worker (iframe-worker.js) is in place by now, so this
  // reaches whichever one Material's search uses.
  if (typeof Worker === "undefined" || !Worker.prototype.postMessage) return;
  var post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message) {
    var args = Array.prototype.slice.call(arguments);
    if (message && message.type === QUERY && typeof message.data === "string") {
      args[0] = {type: QUERY, data: spell(message.data)};
    }
    return post.apply(this, args);
  };
})();
