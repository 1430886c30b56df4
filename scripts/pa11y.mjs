// pa11y with the HTML_CodeSniffer runner (its WCAG2AA standard) over a list of pages, in one
// Debian chromium; nothing is downloaded. Called by scripts/pa11y.sh through the browser suite.
//
//   node scripts/pa11y.mjs pages.json
//
// pages.json: [{"url": "http://127.0.0.1:8102/", "cookie": "sessionid=…" or ""}, …]
// Prints each page's errors (code, selector, message) and exits 1 when any page has one.
import { readFileSync } from "node:fs";
import pa11y from "pa11y";
import puppeteer from "puppeteer";

const CHROMIUM = process.env.PCC_CHROMIUM || "/usr/bin/chromium";
const pages = JSON.parse(readFileSync(process.argv[2], "utf8"));
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
let failed = 0;
try {
  for (const { url, cookie } of pages) {
    const page = await browser.newPage();
    const result = await pa11y(url, {
      browser,
      page,
      headers: cookie ? { Cookie: cookie } : {},
      runners: ["htmlcs"],
      standard: "WCAG2AA",
      timeout: 120000,
      log: { debug() {}, error: console.error, info() {} },
    });
    await page.close();
    const errors = result.issues.filter((issue) => issue.type === "error");
    console.log(`${errors.length ? "FAIL" : "ok  "} ${url}${cookie ? " (signed in)" : ""}`);
    for (const issue of errors) {
      console.log(`     ${issue.code}\n     ${issue.selector}\n     ${issue.message}`);
    }
    failed += errors.length ? 1 : 0;
  }
} finally {
  await browser.close();
}
console.log(`pa11y (HTML_CodeSniffer, WCAG2AA): ${pages.length - failed} pages passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
