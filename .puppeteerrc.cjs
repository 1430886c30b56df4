// pa11y (scripts/pa11y.sh) drives Debian's chromium through puppeteer: never download a browser.
module.exports = { skipDownload: true };
