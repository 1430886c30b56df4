// Start GOV.UK Frontend components (skip link, service navigation, error summary, details…).
import { initAll } from "../govuk/govuk-frontend.min.js";

initAll();
