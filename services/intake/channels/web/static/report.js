// Progressive help only: the form submits without any of this.
"use strict";
(function () {
  var form = document.getElementById("report-form");
  if (form && window.Worker) {
    var challenge = form.querySelector("input[name=pow_challenge]");
    var nonce = form.querySelector("input[name=pow_nonce]");
    if (challenge && nonce && challenge.value) {
      // Runs while the reporter types; a bot has to pay for it on every submission.
      var worker = new Worker("/static/pow-worker.js");
      worker.onmessage = function (event) { nonce.value = event.data.nonce; worker.terminate(); };
      worker.postMessage({ challenge: challenge.value, bits: Number(challenge.dataset.bits) });
    }
  }
  var copy = document.getElementById("copy-code");
  if (copy) {
    copy.classList.remove("hidden");
    copy.addEventListener("click", function () {
      var code = document.getElementById("tracking-code");
      var done = function () { copy.textContent = copy.dataset.copied; };
      // Selecting the code and copying works where the clipboard API is missing or refused.
      var bySelection = function () {
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { if (document.execCommand("copy")) done(); } catch (e) { /* left selected */ }
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(code.textContent.trim()).then(done, bySelection);
      } else {
        bySelection();
      }
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
