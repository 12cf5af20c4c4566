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

  function update(box) {
    var overflows = box.scrollWidth > box.clientWidth + 1;
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
