// Opens pages in a real headless Chromium (Debian's, through playwright-core) and reports
// what a person would see, for tests/test_browser.py to judge. One browser for the whole
// list, so a test module costs one Chromium start.
//
//   node browse.mjs JOB.json > RESULT.json
//
// JOB: {"executable": "/usr/bin/chromium", "base": "http://127.0.0.1:PORT",
//       "targets": ["/index.html", "/all.atom", ...], "shots": "/tmp/dir"}
// RESULT: {"version": "...", "results": [{target, status, contentType, accept, url,
//          lang, h1, scripts, eventAttributes, imgsWithoutAlt, scrollWidth390, anchors,
//          contrastFailures, textElements, requests, shots: [{file, width, height,
//          colours}]}]}
// Requests that leave the origin are recorded and aborted (the machine may be offline:
// nothing waits on them); the page's own requests go through.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const job = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const origin = new URL(job.base).origin;

// Runs inside the page: the DOM facts and the contrast of every text-bearing element
// (WCAG 2 relative luminance; the effective background is found by walking up and
// compositing translucent backgrounds over the white canvas; background images are not
// considered).
function inspect() {
  const parse = (css) => {
    const m = css.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {  // composite top (with alpha) over an opaque colour
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  const luminance = (c) => {
    const ch = c.slice(0, 3).map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const contrastFailures = [];
  let textElements = 0;
  for (const el of document.body ? document.body.querySelectorAll('*') : []) {
    const ownText = [...el.childNodes]
      .filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (!ownText) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.getClientRects().length === 0) continue;
    textElements += 1;
    const bg = background(el);
    const fg = over(parse(style.color), bg);
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
    const ratio = (l1 + 0.05) / (l2 + 0.05);
    if (ratio < 4.5) {
      contrastFailures.push({ tag: el.tagName.toLowerCase(), text: ownText.slice(0, 60),
        ratio: Math.round(ratio * 100) / 100, color: style.color,
        background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})` });
    }
  }
  const eventAttributes = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) eventAttributes.push(`${el.tagName}@${attr.name}`);
    }
  }
  return {
    lang: document.documentElement.getAttribute('lang'),
    h1: [...document.querySelectorAll('h1')].map((h) => h.textContent.trim()),
    scripts: document.querySelectorAll('script').length,
    eventAttributes,
    imgsWithoutAlt: [...document.querySelectorAll('img')]
      .filter((i) => !i.hasAttribute('alt')).map((i) => i.getAttribute('src')),
    scrollWidth: document.documentElement.scrollWidth,
    anchors: [...document.querySelectorAll('a[href]')]
      .map((a) => ({ text: a.textContent.replace(/\s+/g, ' ').trim(), href: a.href })),
    contrastFailures,
    textElements,
  };
}

// Distinct colours of a PNG, decoded by the browser itself in a blank page.
async function colours(counter, png) {
  return counter.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length && seen.size < 1000; i += 4) {
      seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    }
    return seen.size;
  }, png.toString('base64'));
}

const browser = await chromium.launch({
  executablePath: job.executable,
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
const results = [];
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const counter = await context.newPage();
  for (const [index, target] of job.targets.entries()) {
    const page = await context.newPage();
    const requests = [];
    await page.route('**/*', (route) => {
      const req = route.request();
      const url = req.url();
      const local = url.startsWith('data:') || new URL(url).origin === origin;
      requests.push({ url, type: req.resourceType(), local });
      return local ? route.continue() : route.abort();
    });
    const response = await page.goto(job.base + target, { waitUntil: 'load' });
    const sent = await response.request().allHeaders();
    const facts = await page.evaluate(inspect);
    const shots = [];
    for (const [width, height] of [[390, 844], [1280, 900]]) {
      await page.setViewportSize({ width, height });
      const file = join(job.shots, `${index}-${width}.png`);
      const png = await page.screenshot({ path: file });
      shots.push({ file, width, height, colours: await colours(counter, png) });
    }
    results.push({
      target,
      url: page.url(),
      status: response.status(),
      contentType: (await response.allHeaders())['content-type'] ?? null,
      accept: sent.accept ?? null,
      ...facts,
      requests,
      shots,
    });
    await page.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ version: browser.version(), results }));
