/* Small behaviours of every page, bound by data attributes, so that no page needs an inline script
   or handler (the Content-Security-Policy allows scripts from this site and nonced blocks only).

   data-autosubmit            a select that submits its form when changed (on a form: each of its selects)
   data-check-all="NAME"      a checkbox that ticks or clears every input[name=NAME]
   data-tick-form="NAME"      a button that ticks every input[name=NAME] of its form before submitting
   data-form-controls[="sm"]  a form whose fields get Bootstrap's form-control / form-select classes
   data-geolocate             a box whose [data-geolocate-button] fills its latitude/longitude inputs from the
                              phone's position (where the browser allows), saying how it went in [data-geolocate-status] */
(function () {
  "use strict";

  function styleControls(root) {
    root.querySelectorAll("[data-form-controls]").forEach(function (form) {
      var small = form.getAttribute("data-form-controls") === "sm";
      form.querySelectorAll(
        "select, textarea, input:not([type]), input[type=text], input[type=date], input[type=number], input[type=search], input[type=email], input[type=month]"
      ).forEach(function (el) {
        el.classList.add(el.tagName === "SELECT" ? "form-select" : "form-control");
        if (small) el.classList.add(el.tagName === "SELECT" ? "form-select-sm" : "form-control-sm");
      });
    });
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("select[data-autosubmit], [data-autosubmit] select") && el.form) el.form.submit();
    if (el.matches && el.matches("[data-check-all]")) {
      var name = el.getAttribute("data-check-all");
      document.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
        box.checked = el.checked;
      });
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-tick-form]") : null;
    if (button && button.form) {
      var name = button.getAttribute("data-tick-form");
      button.form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
        box.checked = true;
      });
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-geolocate-button]") : null;
    if (!button) return;
    var box = button.closest("[data-geolocate]");
    var status = box.querySelector("[data-geolocate-status]");
    var say = function (key) { status.textContent = status.getAttribute(key); };
    if (!navigator.geolocation) { say("data-fail"); return; }
    say("data-wait");
    navigator.geolocation.getCurrentPosition(function (position) {
      box.querySelector('input[name="latitude"]').value = position.coords.latitude.toFixed(6);
      box.querySelector('input[name="longitude"]').value = position.coords.longitude.toFixed(6);
      say("data-done");
    }, function () { say("data-fail"); }, { enableHighAccuracy: true, timeout: 15000 });
  });

  styleControls(document);
  document.body.addEventListener("htmx:afterSwap", function (event) {
    styleControls(event.target);
  });
})();
