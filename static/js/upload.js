// Upload progress for large return files: sends the form with XMLHttpRequest and shows a
// <progress> bar. Without JavaScript the form posts normally (progressive enhancement).
// The template links follow the submitter and period chosen (without JavaScript they are for
// the choice the page opened with).
(function () {
  "use strict";
  var links = document.querySelector("[data-template-links]");
  var form = document.querySelector("form[data-upload-progress]");
  if (!links || !form) {
    return;
  }
  var submitter = form.querySelector("select[name=submitter]");
  var period = form.querySelector("select[name=period]");
  if (!submitter || !period) {
    return;
  }
  function update() {
    var dates = period.value.split(":");
    var chosen = [submitter.selectedOptions[0], period.selectedOptions[0]];
    if (dates.length !== 2 || !submitter.value || !chosen[0] || !chosen[1]) {
      return;
    }
    var base = links.getAttribute("data-template-base");
    links.querySelectorAll("[data-template-format]").forEach(function (link) {
      var format = link.getAttribute("data-template-format");
      link.href = base + encodeURIComponent(submitter.value) + "/" + dates[0] + "/" + dates[1] + "/template." + format;
    });
    links.querySelector("[data-template-for]").textContent = chosen[0].text + ", " + chosen[1].text;
  }
  submitter.addEventListener("change", update);
  period.addEventListener("change", update);
})();

(function () {
  "use strict";
  var form = document.querySelector("form[data-upload-progress]");
  if (!form || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var wrapper = form.querySelector(".app-upload-progress");
  var bar = form.querySelector("progress");
  var status = form.querySelector("[data-upload-status]");
  var button = form.querySelector("button[type=submit]");
  // GOV.UK Frontend, beside this file (static files keep their names: see STORAGES in settings.py).
  var frontend = new URL("../govuk/govuk-frontend.min.js", document.currentScript.src).href;

  function show(percent, text) {
    bar.value = percent;
    bar.textContent = percent + "%";
    status.textContent = text;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.href);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        show(percent, percent < 100 ? "Uploading: " + percent + "% sent" : "Uploaded. Checking every row…");
      }
    });
    xhr.addEventListener("load", function () {
      // Show the page the server answered with (the preview, or the validation report).
      if (xhr.responseURL && xhr.responseURL !== window.location.href) {
        window.history.replaceState(null, "", xhr.responseURL);
      }
      document.open();
      document.write(xhr.responseText);
      document.close();
      // The written page's own module script (init.mjs) does not run again in this window, so start
      // its GOV.UK components here: the error summary takes focus, the navigation collapses on a
      // narrow screen, details and buttons work (WCAG 2.4.3, 1.4.10).
      import(frontend).then(function (govuk) {
        govuk.initAll();
      });
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      show(0, "The upload failed. Check your connection and try again.");
    });
    wrapper.hidden = false;
    button.disabled = true;
    show(0, "Starting upload…");
    xhr.send(new FormData(form));
  });
})();
