// Crocevia's own script: loaded as a file (no inline script under our CSP).
(function () {
  "use strict";
  // htmx sends Django's CSRF token with every request that changes something.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) {
      event.detail.headers["X-CSRFToken"] = token.getAttribute("content");
    }
  });
  // Elements marked data-autosubmit submit their form when changed.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el && el.dataset && el.dataset.autosubmit !== undefined && el.form) {
      el.form.requestSubmit();
    }
  });
  // Show or hide a block according to a checkbox or select: data-show-when="field=value".
  function syncConditional() {
    document.querySelectorAll("[data-show-when]").forEach(function (block) {
      var rule = block.dataset.showWhen.split("=");
      var field = document.querySelector("[name='" + rule[0] + "']:checked, select[name='" + rule[0] + "']");
      var input = document.querySelector("[name='" + rule[0] + "']");
      var value = "";
      if (input && input.type === "checkbox") {
        value = input.checked ? "on" : "";
      } else if (field) {
        value = field.value;
      }
      block.hidden = value !== rule[1];
    });
  }
  document.addEventListener("change", syncConditional);
  document.addEventListener("DOMContentLoaded", syncConditional);
  document.addEventListener("htmx:afterSettle", syncConditional);
})();
