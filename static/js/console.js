// The console's own behaviour, kept out of the templates so that the Content-Security-Policy needs no
// inline script, handler or style (opsconsole/settings.py, CONTENT_SECURITY_POLICY).
(function () {
  "use strict";

  // Widths of meters and progress bars: data-width="42" -> 42 % (set through the CSSOM, which the policy
  // allows; a style="" attribute would not be).
  function applyWidths(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      var value = parseFloat(el.getAttribute("data-width"));
      if (!isNaN(value)) {
        el.style.width = Math.max(0, Math.min(100, value)) + "%";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    applyWidths(document);
    if (window.htmx) {
      window.htmx.onLoad(function (el) {
        applyWidths(el.parentNode || el);
      });
    }
  });

  // Forms that only carry values for htmx buttons never submit themselves.
  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-no-submit]")) {
      event.preventDefault();
    }
  });

  // <select data-autosubmit>: choosing a value submits its form.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("select[data-autosubmit]") && el.form) {
      el.form.submit();
    }
    // <input type="checkbox" data-check-all="name">: ticks every enabled box of that name in its table.
    if (el.matches("input[data-check-all]")) {
      var name = el.getAttribute("data-check-all");
      el.closest("table").querySelectorAll('input[name="' + name + '"]:not(:disabled)').forEach(function (box) {
        box.checked = el.checked;
      });
    }
  });

  // Elements that refresh themselves (data-poll) say so, so that their requests do not extend the idle
  // session timeout (opsconsole/core/middleware.py, ConsoleSessionMiddleware). Only the polling element's
  // own requests carry it: a button inside it is the person acting.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt && event.detail.elt.hasAttribute("data-poll")) {
      event.detail.headers["X-Opsconsole-Poll"] = "1";
    }
  });
})();
