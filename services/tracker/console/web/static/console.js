// Keyboard for the queue (progressive enhancement: every page works without it).
// j / k: next / previous case; Enter: open it (the link has focus); ?: show or hide the help.
(function () {
  "use strict";
  var links = Array.prototype.slice.call(document.querySelectorAll("#queue a.case-link"));
  var help = document.getElementById("keys-help");
  if (!links.length && !help) { return; }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var at = links.indexOf(document.activeElement);
    if (event.key === "j" && links.length) {
      links[Math.min(at + 1, links.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "k" && links.length) {
      links[Math.max(at - 1, 0)].focus();
      event.preventDefault();
    } else if (event.key === "?" && help) {
      help.hidden = !help.hidden;
      event.preventDefault();
    }
  });
})();
