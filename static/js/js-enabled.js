// GOV.UK Frontend: mark the page as script-capable before components start (no inline script: CSP).
document.body.className += " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
