// SPDX-License-Identifier: MIT
// Browser tests of the pyheap UI: playwright-core driving Debian's chromium
// (no browser download). Run by tests/integration/test_serve_web.py against a
// `pyheap serve OLD NEW` of real dumps of tests/targets/serve_target.py:
//
//   node tests/web/ui.mjs URL SHOTS_DIR
//
// Opens every view, clicks from the overview into a kind, an object, a
// referrer and a path step and checks what each shows, goes back and
// forward, uses the keyboard and the search box, and checks that the
// strings of the dump that try to inject script stay text. Screenshots go to
// SHOTS_DIR. Prints "ok ..." per step; exits 1 at the first failure.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// playwright-core comes from web/node_modules (npm ci by scripts/install-deps)
const { chromium } = createRequire(new URL('../../web/package.json', import.meta.url))('playwright-core');
const [base, shots] = process.argv.slice(2);
if (!base || !shots) {
	console.error('usage: node tests/web/ui.mjs URL SHOTS_DIR');
	process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pyheap-chromium-'));
const problems = [];

function check(cond, what) {
	if (!cond) throw new Error(`check failed: ${what}`);
}

const ctx = await chromium.launchPersistentContext(profile, {
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
	viewport: { width: 1400, height: 950 },
});
const page = ctx.pages()[0] || (await ctx.newPage());
page.setDefaultTimeout(20000);
page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
page.on('dialog', (d) => { problems.push(`a dialog opened: ${d.message()}`); d.dismiss(); });

const url = (p) => new URL(p, base).toString();
const path_ = () => { const u = new URL(page.url()); return u.pathname + u.search; };
async function shot(name) {
	await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}
async function noXss(where) {
	const v = await page.evaluate(() => window.__pyheap_xss);
	check(v === undefined, `no script from the dump ran (${where}: window.__pyheap_xss = ${v})`);
}
async function h1() {
	return (await page.locator('h1').first().textContent()).trim();
}
async function step(name, fn) {
	try {
		await fn();
	} catch (e) {
		await shot(`FAILED-${name}`).catch(() => {});
		console.error(`FAIL ${name}: ${e.message}`);
		await ctx.close();
		process.exit(1);
	}
	check(problems.length === 0, problems.join('; '));
	console.log(`ok   ${name}`);
}

try {
	await step('overview', async () => {
		await page.goto(url('/'));
		await page.locator('dl.facts').first().waitFor();
		check((await h1()) === 'Overview', 'the overview has its title');
		check(await page.getByText('Reachable', { exact: true }).isVisible(), 'the overview shows the totals');
		const resident = await page.locator('.fact', { hasText: 'Resident' }).textContent();
		check(/Python objects .*files and libraries .*the rest/.test(resident), `the overview splits the resident memory: ${resident}`);
		await page.locator('.treemap a.box').first().waitFor();
		check((await page.locator('.treemap a.box').count()) >= 3, 'the treemap has boxes');
		check((await page.locator('table[aria-label="Histogram"] tbody tr').count()) >= 5, 'the histogram has rows');
		await noXss('overview');
		await shot('overview');
	});

	await step('overview: histogram by owner', async () => {
		await page.getByRole('link', { name: 'by owner' }).click();
		await page.waitForURL(/\?by=owner$/);
		await page.locator('table[aria-label="Histogram"] a.kind', { hasText: 'dict of module' }).waitFor();
	});

	await step('overview: histogram by site, the target without tracemalloc', async () => {
		await page.getByRole('link', { name: 'by site' }).click();
		await page.waitForURL(/\?by=site$/);
		await page.locator('p.note', { hasText: 'PYTHONTRACEMALLOC=25' }).waitFor();
		await page.locator('table[aria-label="Histogram"] a.kind', { hasText: '(no allocation site)' }).waitFor();
		await shot('histogram-by-site');
		await page.goBack();
		await page.waitForURL(/\?by=owner$/);
	});

	await step('overview -> a kind', async () => {
		await page.goto(url('/'));
		const link = page.locator('table[aria-label="Histogram"] a.kind', { hasText: /^str$/ });
		await link.click();
		await page.waitForURL(/\/heap\?kind=str$/);
		await page.getByText(/of kind str/).waitFor();
		const types = await page.locator('table[aria-label="Objects"] tbody tr td:nth-child(3)').allTextContents();
		check(types.length === 50 && types.every((t) => t === 'str'), `every row is a str (${types.slice(0, 3)})`);
		check(await page.getByRole('link', { name: 'Next →' }).isVisible(), 'a next page');
		await page.getByRole('link', { name: 'Next →' }).click();
		await page.waitForURL(/kind=str&offset=50/);
		await page.getByText(/Objects 51–100 of/).waitFor();
		const again = await page.locator('table[aria-label="Objects"] tbody tr td:nth-child(3)').allTextContents();
		check(again.every((t) => t === 'str'), 'the kind filter holds on page 2');
		await shot('heap-kind-str');
	});

	let objAddr;
	await step('overview -> an object', async () => {
		await page.goto(url('/'));
		const first = page.locator('table[aria-label="Largest retainers"] tbody tr a.addr').first();
		objAddr = (await first.textContent()).trim();
		await first.click();
		await page.waitForURL(`**/objects/${objAddr}`);
		await page.locator('h1 .addr', { hasText: objAddr }).waitFor();
		await page.getByRole('heading', { name: /Referents/ }).waitFor();
		await page.locator('ol.paths li').first().waitFor();
		await shot('object');
	});

	await step('object -> a referrer', async () => {
		const ref = page.locator('table[aria-label="Referrers"] a.addr').first();
		const to = (await ref.textContent()).trim();
		await ref.click();
		await page.waitForURL(`**/objects/${to}`);
		await page.locator('h1 .addr', { hasText: to }).waitFor();
		const referents = await page.locator('table[aria-label="Referents"] a.addr').allTextContents();
		check(referents.includes(objAddr), `the referrer ${to} refers to ${objAddr}`);
	});

	let cacheAddr;
	await step('objects -> the cache -> a path step', async () => {
		await page.goto(url('/heap?kind=__main__.Cache'));
		const first = page.locator('table[aria-label="Objects"] tbody tr a.addr').first();
		cacheAddr = (await first.textContent()).trim();
		await first.click();
		await page.waitForURL(`**/objects/${cacheAddr}`);
		const path = page.locator('ol.paths li').first();
		await path.locator('a').first().waitFor();
		const text = (await path.textContent()).replace(/\s+/g, '');
		check(text === "sys.modules['__main__'].__dict__['CACHE']", `the path reads as Python: ${text}`);
		const steps = path.locator('a');
		check((await steps.count()) === 4, 'every step of the path is a link');
		// the module's __dict__, which holds the cache
		const holder = steps.nth(2);
		const holderAddr = (await holder.getAttribute('title')).split(' ').pop();
		await holder.click();
		await page.waitForURL(`**/objects/${holderAddr}`);
		await page.locator('h1 .addr', { hasText: holderAddr }).waitFor();
		const cacheRow = page.locator('table[aria-label="Referents"] tr', { hasText: /\['CACHE'\]/ });
		check((await cacheRow.locator('a.addr').textContent()).trim() === cacheAddr, "the dict's ['CACHE'] is the cache");
		await shot('path-step');
	});

	await step('back and forward', async () => {
		const here = path_();
		await page.goBack();
		await page.waitForURL(`**/objects/${cacheAddr}`);
		await page.locator('h1 .addr', { hasText: cacheAddr }).waitFor();
		await page.goBack();
		await page.waitForURL(/\/heap\?kind=__main__\.Cache$/);
		await page.locator('table[aria-label="Objects"] a.addr', { hasText: cacheAddr }).waitFor();
		await page.goForward();
		await page.locator('h1 .addr', { hasText: cacheAddr }).waitFor();
		await page.goForward();
		await page.waitForURL(`**${here}`);
	});

	await step('threads', async () => {
		await page.getByRole('link', { name: 'Threads', exact: true }).click();
		await page.waitForURL(/\/threads$/);
		await page.getByRole('heading', { name: /serve-worker/ }).waitFor();
		const worker = page.locator('section.thread', { has: page.getByRole('heading', { name: /serve-worker/ }) });
		await worker.locator('summary', { hasText: 'worker' }).first().click().catch(() => {});
		const row = worker.locator('tr', { hasText: 'pending' });
		await row.waitFor();
		check((await row.textContent()).includes('[40 items]'), 'the local pending shows its value');
		await noXss('threads');
		await shot('threads');
	});

	await step('suspects', async () => {
		await page.getByRole('link', { name: 'Suspects', exact: true }).click();
		await page.waitForURL(/\/suspects$/);
		await page.getByRole('heading', { name: 'Leak suspects' }).waitFor();
		await page.locator('section.suspect, p:has-text("No suspects")').first().waitFor();
		// what the interpreter holds from C, found by the agent's search: a table of objects
		await page.getByRole('heading', { name: /^Held from C/ }).waitFor();
		check(await page.locator('table[aria-label="Held from C"] tbody tr').count() > 0, 'held-from-C rows');
		await shot('suspects');
	});

	await step('diff', async () => {
		await page.getByRole('link', { name: 'Diff', exact: true }).click();
		await page.waitForURL(/\/diff$/);
		await page.getByRole('heading', { name: 'What grew' }).waitFor();
		const row = page.locator('table[aria-label="Kinds that grew"] tr', { hasText: '__main__.Session' });
		await row.waitFor();
		check((await row.textContent()).includes('+300'), 'Session grew by 300');
		await page.locator('table[aria-label="Paths that grew"] code', { hasText: /\['CACHE'\]/ }).first().waitFor();
		// the 300 sessions are new objects, held (through the cache) by old ones
		const leak = page.locator('table[aria-label="Leaks"] tr', { hasText: "['CACHE']" }).first();
		await leak.waitFor();
		const cells = await leak.locator('td').allTextContents();
		check(Number(cells[3].replace(/\D/g, '')) >= 300, `at least 300 new objects held in the cache: ${cells}`);
		await shot('diff');
	});

	await step('paths of a kind', async () => {
		await page.goto(url('/heap?kind=__main__.Session'));
		await page.getByRole('link', { name: /Why are they alive/ }).click();
		await page.waitForURL(/\/paths\?kind=/);
		await page.getByRole('heading', { name: 'Why they are alive' }).waitFor();
		const row = page.locator('table[aria-label="Merged paths"] tbody tr').first();
		await row.waitFor();
		check((await row.textContent()).includes("['CACHE']"), `the sessions are held in the cache: ${await row.textContent()}`);
		await page.reload(); // the URL is the view: a bookmark opens it again
		await page.locator('table[aria-label="Merged paths"] tbody tr').first().waitFor();
		await noXss('paths of a kind');
		await shot('kind-paths');
	});

	await step('waste', async () => {
		await page.getByRole('link', { name: 'Waste', exact: true }).click();
		await page.waitForURL(/\/waste$/);
		await page.getByRole('heading', { name: 'Waste' }).waitFor();
		await page.locator('table[aria-label="Waste"] tbody tr').first().waitFor();
		const whats = await page.locator('table[aria-label="Waste"] tbody tr td:nth-child(3)').allTextContents();
		check(whats.includes('duplicate') && whats.includes('empty'), `duplicates and empty containers listed: ${whats}`);
		await page.reload();
		await page.locator('table[aria-label="Waste"] tbody tr').first().waitFor();
		await noXss('waste');
		await shot('waste');
	});

	await step('hostile strings stay text', async () => {
		await page.goto(url('/heap?q=window.__pyheap_xss'));
		await page.locator('table[aria-label="Objects"] tbody tr').first().waitFor();
		const values = await page.locator('table[aria-label="Objects"] td.v').allTextContents();
		check(values.some((v) => v.includes('<script>window.__pyheap_xss')), `the <script> str shows as text: ${values}`);
		check(values.some((v) => v.includes('<img src=x onerror=')), 'the <img onerror> str shows as text');
		check((await page.locator('main img, main script, main svg').count()) === 0, 'no element came from a value');
		await noXss('objects list');
		const row = page.locator('table[aria-label="Objects"] tbody tr', { hasText: '<img src=x' }).first();
		await row.locator('a.addr').click();
		await page.locator('pre.bigvalue').waitFor();
		check((await page.locator('pre.bigvalue').textContent()).includes('<img src=x onerror='), 'the value is shown');
		await page.waitForTimeout(300);
		await noXss('object page');
		// the session stored under the hostile key: labels and paths show the key as text
		await page.goto(url('/heap?kind=str&q=user--1'));
		await page.locator('table[aria-label="Objects"] a.addr').first().click();
		await page.locator('table[aria-label="Referrers"] a.addr').first().click();
		await page.locator('h1', { hasText: '__main__.Session' }).waitFor();
		await page.locator('table[aria-label="Referrers"] code', { hasText: '["<script>window.__pyheap_xss' }).first().waitFor();
		await page.locator('ol.paths li', { hasText: '["<script>window.__pyheap_xss' }).first().waitFor();
		await noXss('labels');
		await shot('xss');
	});

	await step('treemap: descend and go up', async () => {
		await page.goto(url('/'));
		const box = page.locator('.treemap a.box.depth1').first();
		await box.waitFor();
		const label = (await box.getAttribute('title')) || '';
		await box.click({ position: { x: 6, y: 6 } }); // its header: children cover the rest
		await page.waitForURL(/\/\?node=/);
		await page.getByRole('link', { name: '↑ up' }).waitFor();
		check((await page.locator('.crumbs strong').textContent()).length > 0, `descended into ${label}`);
		await shot('treemap-node');
		await page.getByRole('link', { name: '↑ up' }).click();
		await page.waitForURL((u) => !u.search.includes('node='));
		await page.locator('.crumbs strong', { hasText: '<roots>' }).waitFor();
	});

	await step('keyboard: table rows and the search box', async () => {
		await page.goto(url('/heap'));
		const rows = page.locator('table[aria-label="Objects"] tbody tr');
		await rows.first().waitFor();
		await rows.first().focus();
		await page.keyboard.press('ArrowDown');
		const second = (await rows.nth(1).locator('a.addr').textContent()).trim();
		check(await rows.nth(1).evaluate((e) => e === document.activeElement), 'ArrowDown moves to the next row');
		await page.keyboard.press('Enter');
		await page.waitForURL(`**/objects/${second}`);
		await page.locator('body').press('/');
		check(await page.locator('form.search input').evaluate((e) => e === document.activeElement), '/ focuses the search box');
		await page.keyboard.type(objAddr);
		await page.keyboard.press('Enter');
		await page.waitForURL(`**/objects/${objAddr}`);
		await page.locator('form.search input').fill('user-42');
		await page.keyboard.press('Enter');
		await page.waitForURL(/\/heap\?q=user-42$/);
		await page.getByText(/whose value contains/).waitFor();
	});

	await step('bookmarks: a deep URL opens as it was', async () => {
		await page.goto(url('/heap?kind=__main__.Session&sort=size&offset=50&limit=20'));
		await page.getByText(/Objects 51–70 of/).waitFor();
		await page.goto(url(`/objects/${BigInt(objAddr).toString()}`)); // decimal, as PyHeap's links
		await page.locator('h1 .addr', { hasText: objAddr }).waitFor();
		await page.goto(url('/objects/0x1'));
		await page.locator('.error', { hasText: 'no object at address 0x1' }).waitFor();
		// the view asks for the object and for its paths: both 404s, logged by the browser and
		// expected, must have come in before they are forgotten
		await page.waitForLoadState('networkidle');
		problems.length = 0;
	});

	await step('dark theme follows the system', async () => {
		await page.emulateMedia({ colorScheme: 'dark' });
		await page.goto(url('/'));
		await page.locator('.treemap a.box').first().waitFor();
		const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
		check(bg === 'rgb(20, 24, 28)', `a dark background (${bg})`);
		await shot('overview-dark');
		await page.emulateMedia({ colorScheme: 'light' });
	});
} finally {
	await ctx.close();
	fs.rmSync(profile, { recursive: true, force: true });
}
console.log('browser tests passed');
