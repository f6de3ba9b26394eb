// Starts Swagger UI on the API documentation page. A file of its own, not an inline script,
// so the page's Content-Security-Policy can refuse every inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: false,
    // Nothing is sent elsewhere: no validator badge (it calls validator.swagger.io).
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
