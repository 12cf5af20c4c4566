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
