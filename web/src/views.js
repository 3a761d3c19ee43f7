// SPDX-License-Identifier: MIT
// The views of the pyheap UI, one per route. Each reads its state from the
// URL and its data from the JSON API (docs/api.md).
import { useState } from 'preact/hooks';
import {
	html, href, navigate, useApi, Loading, Table, Bytes, Count, Share, Addr, KindLink, Value,
	objectHref, isAddress, fmtInt, humanBytes,
} from './util.js';
import { Treemap } from './treemap.js';

const dumpParam = (params) => (params.get('dump') === 'old' ? 'old' : null);

function Fact({ label, children }) {
	return html`<div class="fact"><dt>${label}</dt><dd>${children}</dd></div>`;
}

// ---- overview ----

function when(ns) {
	if (!ns) return null;
	return new Date(ns / 1e6).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

function SummaryFacts({ s }) {
	const m = s.metadata || {};
	return html`<dl class="facts">
		<${Fact} label="Process">${s.pid !== null ? `pid ${s.pid}` : '-'}${m.hostname ? ` on ${m.hostname}` : ''}<//>
		<${Fact} label="Python">${s.python_version || '-'}<//>
		<${Fact} label="Taken">${when(m.time_ns) || '-'}${m.pause_ns ? `, paused ${(m.pause_ns / 1e9).toFixed(3)} s` : ''}<//>
		<${Fact} label="Objects"><${Count} n=${s.objects} /> (<${Bytes} n=${s.total_size} />)<//>
		${s.native && s.native.total ? html`<${Fact} label="Native bytes"><${Bytes} n=${s.native.total} /> owned by <${Count} n=${s.native.objects} /> object${s.native.objects === 1 ? '' : 's'}${s.native.in_retained ? '' : ' (not in retained sizes)'}<//>` : null}
		<${Fact} label="Reachable"><${Count} n=${s.reachable.objects} /> (<${Bytes} n=${s.reachable.size} />)<//>
		<${Fact} label="Unreachable"><${Count} n=${s.unreachable.objects} /> (<${Bytes} n=${s.unreachable.size} />) awaiting collection<//>
		<${Fact} label="References"><${Count} n=${s.edges} /> (<${Count} n=${s.weak_edges} /> weak)<//>
		<${Fact} label="Threads"><a href="/threads">${fmtInt(s.threads)} thread${s.threads === 1 ? '' : 's'}, ${fmtInt(s.frames)} frame${s.frames === 1 ? '' : 's'}</a><//>
		${s.held_from_c && s.held_from_c.objects ? html`<${Fact} label="Held from C"><a href=${href('/suspects', {})}><${Count} n=${s.held_from_c.objects} /> object${s.held_from_c.objects === 1 ? '' : 's'}</a> retaining <${Bytes} n=${s.held_from_c.retained} /><//>` : null}
		${s.memory ? html`<${Fact} label="Resident"><${Memory} m=${s.memory} /><//>` : null}
	</dl>`;
}

// The process's resident memory by what holds it (docs/analysis.md, "The process's memory").
function Memory({ m }) {
	const parts = [
		['Python objects', m.python_objects], ['native buffers', m.native_buffers || null],
		['pymalloc free', m.pymalloc_free],
		['malloc free', m.malloc_free], ['files and libraries', m.files], ['stacks', m.stacks],
		['the rest', m.rest],
	].filter(([, n]) => n !== null);
	return html`<${Bytes} n=${m.resident} />: ${parts.map(([name, n], i) => html`${i ? ', ' : ''}${name} ${n < 0 ? html`−<${Bytes} n=${-n} />` : html`<${Bytes} n=${n} />`}`)}`;
}

const BYS = ['type', 'owner', 'module', 'via', 'referrer', 'size', 'site'];

function Histogram({ by, dump }) {
	const state = useApi('/histogram', { by: by === 'type' ? null : by, dump }, `${by} ${dump}`);
	return html`<section aria-labelledby="hist-h">
		<h2 id="hist-h">Largest kinds</h2>
		<nav class="tabs" aria-label="Group objects by">
			${BYS.map((b) => html`<a href=${href('/', { by: b === 'type' ? null : b, dump })} aria-current=${b === by ? 'page' : null}>by ${b}</a>`)}
		</nav>
		<${Loading} state=${state}>${(hist) => html`
			${hist.note ? html`<p class="note">${hist.note}</p>` : null}
			<p class="muted">${fmtInt(hist.kinds)} ${hist.kinds === 1 ? 'kind.' : `kinds; the ${Math.min(hist.rows.length, hist.kinds)} largest by size.`}</p>
			<${Table} label="Histogram" rows=${hist.rows} cols=${[
				{ title: 'Kind', cell: (r) => html`<${KindLink} kind=${r.kind} by=${by} />` },
				{ title: 'Count', num: true, cell: (r) => html`<${Count} n=${r.count} />` },
				{ title: 'Size', num: true, cell: (r) => html`<${Bytes} n=${r.size} />` },
				{ title: '% of heap', num: true, cell: (r) => html`<${Share} part=${r.size} total=${hist.size} />` },
				{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
			]} />`}<//>
	</section>`;
}

function TreeSection({ node, dump }) {
	const state = useApi(`/tree/${encodeURIComponent(node)}`, { dump }, `${node} ${dump}`);
	return html`<section aria-labelledby="tree-h">
		<h2 id="tree-h">Where the memory is</h2>
		<${Loading} state=${state}>${(t) => html`
			<p class="crumbs">
				${t.dominator ? html`<a href=${href('/', { node: t.dominator === 'root' ? null : t.dominator, dump })}>↑ up</a> · ` : null}
				<strong>${t.name}</strong> retains <${Bytes} n=${t.retained} /> in <${Count} n=${t.objects} /> objects
				${t.address ? html` · <a href=${objectHref(t.address, dump)}>object page</a>` : null}
				${node !== 'root' ? html` · <a href=${href('/', { dump })}>top</a>` : null}
			</p>
			<${Treemap} doc=${t} dump=${dump} />
			<p class="muted small">Each box is what an object retains (its dominator-tree children inside it), the smaller ones grouped by kind. Click a box to look inside it.</p>`}<//>
	</section>`;
}

export function Overview({ params }) {
	const dump = dumpParam(params);
	const by = BYS.includes(params.get('by')) ? params.get('by') : 'type';
	const node = params.get('node') || 'root';
	const state = useApi('/summary', { dump }, `summary ${dump}`);
	return html`<div class="view overview">
		<h1>Overview</h1>
		<${Loading} state=${state}>${(s) => html`
			<p class="file">${s.file}${dump ? ' (old dump)' : ''}</p>
			<${SummaryFacts} s=${s} />`}<//>
		<${TreeSection} node=${node} dump=${dump} />
		<div class="cols">
			<${Histogram} by=${by} dump=${dump} />
			<${Loading} state=${state}>${(s) => html`
				<section aria-labelledby="top-h">
					<h2 id="top-h">Largest retainers</h2>
					<${Table} label="Largest retainers" rows=${s.top_retainers} cols=${[
						{ title: 'Object', cell: (r) => html`<${Addr} address=${r.address} dump=${dump} />` },
						{ title: 'Type', cell: (r) => html`<${KindLink} kind=${r.type} />` },
						{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
						{ title: 'Value', cls: 'v', cell: (r) => html`<${Value} text=${r.value} />` },
					]} />
					<p><a href=${href('/heap', { dump })}>All objects →</a></p>
				</section>`}<//>
		</div>
	</div>`;
}

// ---- threads ----

export function Threads({ params }) {
	const dump = dumpParam(params);
	const state = useApi('/threads', { dump }, `threads ${dump}`);
	return html`<div class="view">
		<h1>Threads</h1>
		<${Loading} state=${state}>${(doc) => doc.threads.length === 0 ? html`<p>The dump has no threads.</p>` : doc.threads.map((t) => html`
			<section class="thread" key=${t.id}>
				<h2>${t.name === null ? '(unnamed)' : t.name} <span class="muted small">id ${t.id}${t.native_id ? `, native ${t.native_id}` : ''}${t.main ? ', main' : ''}${t.daemon ? ', daemon' : ''}</span>
					<span class="right">retains <${Bytes} n=${t.retained} /></span></h2>
				${t.frames.map((f, i) => html`
					<details open=${i === 0} key=${i}>
						<summary><code>${f.function}</code> <span class="muted">${f.file}:${f.line}</span> <span class="right">retains <${Bytes} n=${f.retained} /></span></summary>
						<${Table} label=${`Locals of ${f.function}`} empty="No locals." rows=${f.locals} cols=${[
							{ title: 'Local', cell: (l) => html`<code>${l.name}</code>` },
							{ title: 'Object', cell: (l) => l.type === null ? html`<span class="muted">${l.address} (not in the dump)</span>` : html`<${Addr} address=${l.address} dump=${dump} />` },
							{ title: 'Type', cell: (l) => html`<${KindLink} kind=${l.type} />` },
							{ title: 'Value', cls: 'v', cell: (l) => html`<${Value} text=${l.value} />` },
							{ title: 'Retained', num: true, cell: (l) => html`<${Bytes} n=${l.retained} />` },
						]} />
					</details>`)}
			</section>`)}<//>
	</div>`;
}

// ---- objects ----

const PAGE = 50;

export function Heap({ params }) {
	const dump = dumpParam(params);
	const q = {
		sort: params.get('sort') === 'size' ? 'size' : 'retained',
		kind: params.get('kind') || '',
		by: BYS.includes(params.get('by')) ? params.get('by') : 'type',
		q: params.get('q') || '',
		offset: Math.max(0, parseInt(params.get('offset') || '0', 10) || 0),
		limit: Math.min(1000, Math.max(1, parseInt(params.get('limit') || String(PAGE), 10) || PAGE)),
	};
	const query = { ...q, by: q.by === 'type' ? null : q.by, sort: q.sort === 'retained' ? null : q.sort, offset: q.offset || null, limit: q.limit === PAGE ? null : q.limit, dump };
	const state = useApi('/objects', query, href('', query));
	const go = (change) => navigate(href('/heap', { ...query, offset: null, ...change }));
	const [kind, setKind] = useState(q.kind);
	const [text, setText] = useState(q.q);
	const submit = (e) => { e.preventDefault(); go({ kind: kind.trim(), q: text }); };
	const sortLink = (key, title) => html`<a href=${href('/heap', { ...query, sort: key === 'retained' ? null : key, offset: null })} aria-current=${q.sort === key ? 'true' : null} title=${`Sort by ${key}, largest first`}>${title}${q.sort === key ? ' ↓' : ''}</a>`;
	return html`<div class="view">
		<h1>Objects</h1>
		<form class="filters" onSubmit=${submit} role="search">
			<label>Kind <input name="kind" value=${kind} onInput=${(e) => setKind(e.target.value)} placeholder="e.g. dict or app.User" size="24" /></label>
			<label>by <select name="by" value=${q.by} onChange=${(e) => go({ kind: kind.trim(), q: text, by: e.target.value === 'type' ? null : e.target.value })}>
				${BYS.map((b) => html`<option value=${b}>${b}</option>`)}</select></label>
			<label>Value contains <input name="q" value=${text} onInput=${(e) => setText(e.target.value)} placeholder="text in a str or bytes" size="24" /></label>
			<button type="submit">Filter</button>
			${q.kind || q.q ? html`<a href=${href('/heap', { dump })} onClick=${() => { setKind(''); setText(''); }}>clear</a>` : null}
		</form>
		<${Loading} state=${state}>${(doc) => html`
			<p class="muted">${doc.total === 0 ? 'No objects match.' : html`Objects ${fmtInt(Math.min(doc.offset + 1, doc.total))}–${fmtInt(doc.offset + doc.rows.length)} of <strong>${fmtInt(doc.total)}</strong>${doc.kind ? html` of kind <code>${doc.kind}</code>` : null}${doc.q !== null ? html` whose value contains <code>${doc.q}</code>` : null}, by ${doc.sort === 'size' ? 'shallow size' : 'retained size'}.`}
				${doc.kind && doc.total && doc.q === null ? html` <a href=${href('/paths', { kind: doc.kind, by: q.by === 'type' ? null : q.by, dump })}>Why are they alive? (their paths, merged)</a>` : null}</p>
			<${Table} label="Objects" rows=${doc.rows} empty="" cols=${[
				{ title: '#', num: true, cell: (r, i) => html`<span class="num muted">${fmtInt(doc.offset + i + 1)}</span>` },
				{ title: 'Object', cell: (r) => html`<${Addr} address=${r.address} dump=${dump} />` },
				{ title: 'Type', cell: (r) => html`<${KindLink} kind=${r.type} />` },
				{ title: sortLink('size', 'Size'), num: true, cell: (r) => html`<${Bytes} n=${r.size} />` },
				...(doc.rows.some((r) => r.native) ? [{ title: 'Native', num: true, cell: (r) => r.native ? html`<${Bytes} n=${r.native} />` : html`<span class="muted">-</span>` }] : []),
				{ title: sortLink('retained', 'Retained'), num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
				{ title: '% of heap', num: true, cell: (r) => html`<${Share} part=${r.retained} total=${doc.total_size} />` },
				{ title: 'Value', cls: 'v', cell: (r) => html`<${Value} text=${r.value} />` },
			]} />
			<nav class="pager" aria-label="Pages">
				${doc.offset > 0 ? html`<a href=${href('/heap', { ...query, offset: Math.max(0, doc.offset - doc.limit) || null })} rel="prev">← Previous</a>` : html`<span></span>`}
				${doc.offset + doc.rows.length < doc.total ? html`<a href=${href('/heap', { ...query, offset: doc.offset + doc.limit })} rel="next">Next →</a>` : null}
			</nav>`}<//>
	</div>`;
}

// ---- one object ----

function PathSteps({ path, dump }) {
	// a long path keeps its first and last steps; the middle is counted (docs/analysis.md)
	const gapAt = path.steps_left_out ? path.steps.length / 2 : -1;
	return html`<li><code class="path">${path.steps.map((s, i) => {
		const to = objectHref(s.address, dump);
		const text = i > 0 && !/^[.[<]|^ /.test(s.label) && s.label !== '' ? ` ${s.label}` : s.label || `<${s.type}>`;
		const step = to ? html`<a href=${to} title=${`${s.type} ${s.address}`} key=${i}>${text}</a>` : html`<span key=${i}>${text}</span>`;
		return i === gapAt ? [html`<span class="muted" key="gap">${`...<${path.steps_left_out} steps>...`}</span>`, step] : step;
	})}</code></li>`;
}

function RefTable({ rows, label, dump }) {
	return html`<${Table} label=${label} rows=${rows} cols=${[
		{ title: 'Label', cell: (r) => html`<code>${r.label}</code>${r.weak ? html` <span class="tag">weak</span>` : null}` },
		{ title: 'Object', cell: (r) => r.address ? html`<${Addr} address=${r.address} dump=${dump} />` : html`<span class="muted">${r.type}</span>` },
		{ title: 'Type', cell: (r) => html`<${KindLink} kind=${r.type} />` },
		{ title: 'Size', num: true, cell: (r) => html`<${Bytes} n=${r.size} />` },
		{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
	]} />`;
}

function More({ shown, total, params, path }) {
	if (shown >= total) return null;
	return html`<p class="muted small">${fmtInt(shown)} of ${fmtInt(total)} shown${shown < 1000 ? html` · <a href=${href(path, { dump: params.get('dump'), limit: Math.min(1000, total) })}>show ${fmtInt(Math.min(1000, total))}</a>` : null}</p>`;
}

export function ObjectView({ address, params }) {
	const dump = dumpParam(params);
	const limit = params.get('limit') || null;
	const state = useApi(`/objects/${encodeURIComponent(address)}`, { dump, limit }, `${address} ${dump} ${limit}`);
	const paths = useApi(`/paths/${encodeURIComponent(address)}`, { dump }, `${address} ${dump}`);
	const path = `/objects/${address}`;
	return html`<div class="view object">
		<${Loading} state=${state}>${(o) => html`
			<h1><${KindLink} kind=${o.type} /> <span class="addr">${o.address}</span>${dump ? html` <span class="tag">old dump</span>` : null}</h1>
			${o.value ? html`<pre class="bigvalue">${o.value}</pre>` : null}
			<dl class="facts">
				<${Fact} label="Size"><${Bytes} n=${o.size} /><//>
				${o.native ? html`<${Fact} label="Native"><${Bytes} n=${o.native} /> <span class="muted">(${o.native_kinds.join(', ')})</span><//>` : null}
				<${Fact} label="Retained"><${Bytes} n=${o.retained} /> in <${Count} n=${o.retained_objects} /> objects<//>
				<${Fact} label="Refcount"><${Count} n=${o.refcount} /> (<${Count} n=${o.strong_references} /> strong references in the dump)<//>
				<${Fact} label="Status">${o.reachable ? 'reachable' : 'unreachable: garbage awaiting collection'}${o.flags.length ? `; ${o.flags.join(', ')}` : ''}<//>
				<${Fact} label="Dominator">${o.dominator.address ? html`<${Addr} address=${o.dominator.address} dump=${dump} /> <span class="muted">${o.dominator.type}</span>` : html`<span>${o.dominator.name}</span>`} · <a href=${href('/', { node: o.address, dump })}>map of what it retains</a><//>
				${o.roots.length ? html`<${Fact} label="Root">${o.roots.map((r) => html`<div>${r}</div>`)}<//>` : null}
				${o.allocated ? html`<${Fact} label="Allocated">${o.allocated.map((f, i) => html`<div class=${i ? 'muted' : null}><code>${f.file}:${f.line}</code></div>`)}<//>` : null}
			</dl>
			<section aria-labelledby="paths-h">
				<h2 id="paths-h">Paths from the roots</h2>
				<${Loading} state=${paths}>${(p) => p.paths.length ? html`<ol class="paths">${p.paths.map((x, i) => html`<${PathSteps} path=${x} dump=${dump} key=${i} />`)}</ol>` : html`<p class="muted">No path from the roots.</p>`}<//>
			</section>
			<section aria-labelledby="refs-h"><h2 id="refs-h">Referents <span class="muted small">${fmtInt(o.n_referents)}</span></h2>
				<${RefTable} rows=${o.referents} label="Referents" dump=${dump} />
				<${More} shown=${o.referents.length} total=${o.n_referents} params=${params} path=${path} /></section>
			<section aria-labelledby="refr-h"><h2 id="refr-h">Referrers <span class="muted small">${fmtInt(o.n_referrers)}</span></h2>
				<${RefTable} rows=${o.referrers} label="Referrers" dump=${dump} />
				<${More} shown=${o.referrers.length} total=${o.n_referrers} params=${params} path=${path} /></section>
			<section aria-labelledby="ret-h"><h2 id="ret-h">Retains <span class="muted small">${fmtInt(o.n_retains)} objects directly</span></h2>
				<${Table} label="Retains" rows=${o.retains} empty="It retains nothing but itself." cols=${[
					{ title: 'Object', cell: (r) => html`<${Addr} address=${r.address} dump=${dump} />` },
					{ title: 'Type', cell: (r) => html`<${KindLink} kind=${r.type} />` },
					{ title: 'Size', num: true, cell: (r) => html`<${Bytes} n=${r.size} />` },
					{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
					{ title: '% of this', num: true, cell: (r) => html`<${Share} part=${r.retained} total=${o.retained} />` },
				]} />
				<${More} shown=${o.retains.length} total=${o.n_retains} params=${params} path=${path} /></section>`}<//>
	</div>`;
}

// ---- suspects ----

// Objects no Python object refers to, found in the allocators (docs/agent.md, "Objects held only from C").
function HeldFromC({ h, total, dump }) {
	if (!h || !h.objects) return null;
	return html`<section aria-labelledby="heldc-h">
		<h2 id="heldc-h">Held from C <span class="right"><${Count} n=${h.objects} /> object${h.objects === 1 ? ' retains' : 's retain'} <${Bytes} n=${h.retained} /> (${total ? (100 * h.retained / total).toFixed(1) : 0}%)</span></h2>
		<p class="explain">Live objects that no Python object refers to: the interpreter's and C extensions' own references, or references a C extension leaked (an extra Py_INCREF). The largest:</p>
		<${Table} label="Held from C" rows=${h.largest} cols=${[
			{ title: 'Object', cell: (r) => html`<${Addr} address=${r.address} dump=${dump} />` },
			{ title: 'Type', cell: (r) => html`<${KindLink} kind=${r.type} />` },
			{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
		]} />
	</section>`;
}

export function Suspects({ params }) {
	const dump = dumpParam(params);
	const threshold = params.get('threshold') || null;
	const state = useApi('/suspects', { threshold, dump }, `${threshold} ${dump}`);
	return html`<div class="view">
		<h1>Leak suspects</h1>
		<form class="filters" onSubmit=${(e) => { e.preventDefault(); navigate(href('/suspects', { threshold: e.target.threshold.value, dump })); }}>
			<label>Retaining at least <input name="threshold" type="number" min="0.1" max="100" step="0.1" value=${threshold || 10} size="5" />% of the heap</label>
			<button type="submit">Find</button>
		</form>
		<${Loading} state=${state}>${(doc) => html`${doc.suspects.length === 0 ? html`<p>No suspects: nothing retains ${threshold || 10}% of the heap (${humanBytes(doc.total_size)}) or more.</p>` : doc.suspects.map((s, i) => html`
			<section class="suspect" key=${i}>
				<h2>Suspect ${i + 1}: ${s.kind === 'type' ? html`${fmtInt(s.objects)} objects of type <${KindLink} kind=${s.type} />` : html`<${KindLink} kind=${s.type} /> ${s.address ? html`<${Addr} address=${s.address} dump=${dump} />` : null}`}
					<span class="right">retains <${Bytes} n=${s.retained} /> (${(100 * s.share).toFixed(1)}%)</span></h2>
				${s.path ? html`<p><span class="muted">path</span> <code class="path">${s.path}</code></p>` : null}
				${s.accumulation ? html`<p><span class="muted">accumulation point</span> ${s.accumulation.address ? html`<${Addr} address=${s.accumulation.address} dump=${dump} />` : null} <${KindLink} kind=${s.accumulation.type} /> retains <${Bytes} n=${s.accumulation.retained} /> in ${fmtInt(s.accumulation.children)} children${s.accumulation.children_kind ? html`, mostly <${KindLink} kind=${s.accumulation.children_kind} />` : null}
					${s.accumulation.path && s.accumulation.address !== s.address ? html`<br /><code class="path">${s.accumulation.path}</code>` : null}</p>` : null}
				${s.names && s.names.length ? html`<p><span class="muted">held by the names</span></p><ul class="names">${s.names.map((n) => html`<li><code class="path">${n.path}</code> <${Addr} address=${n.address} dump=${dump} /> retains <${Bytes} n=${n.retained} /></li>`)}</ul>` : null}
				<p class="explain">${s.explanation}</p>
			</section>`)}
			<${HeldFromC} h=${doc.held_from_c} total=${doc.total_size} dump=${dump} />`}<//>
	</div>`;
}

// ---- the paths of a kind, merged ----

export function KindPaths({ params }) {
	const dump = dumpParam(params);
	const kind = params.get('kind') || '';
	const by = BYS.includes(params.get('by')) ? params.get('by') : 'type';
	const state = useApi('/paths', { kind, by: by === 'type' ? null : by, limit: 10, dump }, `${kind} ${by} ${dump}`);
	return html`<div class="view">
		<h1>Why they are alive</h1>
		<p class="muted">The shortest path from the roots to every object of kind <code>${kind}</code> (by ${by}), indexes and data keys written <code>[*]</code>, equal paths merged. What they retain counts objects of the kind inside others once.</p>
		<${Loading} state=${state}>${(d) => html`
			<p><${Count} n=${d.objects} /> objects retain <${Bytes} n=${d.retained} />, along ${fmtInt(d.patterns)} path${d.patterns === 1 ? '' : 's'}.</p>
			<${Table} label="Merged paths" rows=${d.rows} cols=${[
				{ title: 'Path from the roots', cls: 'v', cell: (r) => html`<code class="path">${r.path}</code>` },
				{ title: 'Objects', num: true, cell: (r) => html`<${Count} n=${r.objects} />` },
				{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
				{ title: 'Largest', cell: (r) => html`<${Addr} address=${r.example} dump=${dump} />` },
			]} />
			<h2>The paths of those that retain the most</h2>
			<${Table} label="Paths" rows=${d.paths} cols=${[
				{ title: 'Object', cell: (r) => html`<${Addr} address=${r.address} dump=${dump} />` },
				{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
				{ title: 'Path', cls: 'v', cell: (r) => html`<code class="path">${r.expr}</code>` },
			]} />
			${d.more_paths ? html`<p class="muted">… ${fmtInt(d.more_paths)} more paths.</p>` : null}`}<//>
	</div>`;
}

// ---- waste ----

function heldBy(where, n, places) {
	if (!where) return html`<span class="muted">nothing refers to them</span>`;
	return html`<code class="path">${where}</code> <span class="muted">(${fmtInt(n)}${places > 1 ? ` here, ${fmtInt(places)} places in all` : ''})</span>`;
}

export function Waste({ params }) {
	const dump = dumpParam(params);
	const state = useApi('/waste', { limit: 100, dump }, `${dump}`);
	return html`<div class="view">
		<h1>Waste</h1>
		<p class="muted">Memory that holds nothing new: equal values held many times (every copy but one could go), empty dicts, lists and sets, and the free slots of lists and oversized set tables.</p>
		<${Loading} state=${state}>${(w) => html`
			<p><${Bytes} n=${w.saving} /> could be saved (<${Share} part=${w.saving} total=${w.total_size} />):
				duplicates <${Bytes} n=${w.saving_duplicate} />, empty containers <${Bytes} n=${w.saving_empty} />, slack <${Bytes} n=${w.saving_slack} />.</p>
			${w.not_compared ? html`<p class="muted">${fmtInt(w.not_compared)} str and bytes values cut short in the dump were not compared.</p>` : null}
			<${Table} label="Waste" rows=${w.rows} empty="No waste found." cols=${[
				{ title: 'Saving', num: true, cell: (r) => html`<${Bytes} n=${r.saving} />` },
				{ title: 'Count', num: true, cell: (r) => html`<${Count} n=${r.count} />` },
				{ title: 'What', cell: (r) => r.what },
				{ title: 'Kind', cell: (r) => html`<${KindLink} kind=${r.type} />` },
				{ title: 'Value', cls: 'v', cell: (r) => html`<${Value} text=${r.value} />` },
				{ title: 'Held by', cls: 'v', cell: (r) => heldBy(r.where, r.where_count, r.places) },
				{ title: 'One of them', cell: (r) => html`<${Addr} address=${r.example} dump=${dump} />` },
			]} />`}<//>
	</div>`;
}

// ---- leaks (two dumps served) ----

function Leaks() {
	const state = useApi('/leaks', { limit: 50 }, 'leaks');
	return html`<section aria-labelledby="leaks-h">
		<h2 id="leaks-h">What leaked</h2>
		<p class="muted">Objects of the new dump that the old one did not have (the same address, type and value is the same object), charged to the old object above them that they accumulate in.</p>
		<${Loading} state=${state}>${(l) => html`
			<p><${Count} n=${l.count} /> new objects (<${Bytes} n=${l.size} />) held by ${fmtInt(l.holders)} holders.</p>
			<${Table} label="Leaks" rows=${l.rows} empty="Nothing new is alive." cols=${[
				{ title: 'Held at', cls: 'v', cell: (r) => html`<code class="path">${r.path}</code>` },
				{ title: 'Holders', num: true, cell: (r) => html`<${Count} n=${r.holders} />` },
				{ title: 'Holder', cell: (r) => r.example ? html`<${Addr} address=${r.example} />` : html`<span class="muted">${r.example_type}</span>` },
				{ title: 'New objects', num: true, cell: (r) => html`<${Count} n=${r.count} />` },
				{ title: 'Bytes', num: true, cell: (r) => html`<${Bytes} n=${r.size} />` },
				{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained} />` },
			]} />`}<//>
	</section>`;
}

// ---- diff ----

function Delta({ old, now, bytes }) {
	const d = now - old;
	const text = bytes ? `${d >= 0 ? '+' : '−'}${humanBytes(Math.abs(d))}` : `${d >= 0 ? '+' : '−'}${fmtInt(Math.abs(d))}`;
	return html`<span class=${`num ${d > 0 ? 'up' : d < 0 ? 'down' : ''}`} title=${`${fmtInt(old)} → ${fmtInt(now)}${bytes ? ' bytes' : ''}`}>${text}</span>`;
}

export function Diff({ params, server }) {
	const all = params.get('all') === '1';
	const by = BYS.includes(params.get('by')) ? params.get('by') : 'type';
	const state = useApi('/diff', { by: by === 'type' ? null : by, all: all ? 1 : null }, `${by} ${all}`);
	if (server && !server.old_file) return html`<div class="view"><h1>Diff</h1><p>One dump is served. <code>pyheap serve OLD NEW</code> serves two and shows here what grew between them.</p></div>`;
	return html`<div class="view">
		<h1>What grew</h1>
		${server ? html`<p class="file">${server.old_file} → ${server.file}</p>` : null}
		<nav class="tabs" aria-label="Group objects by">
			${BYS.map((b) => html`<a href=${href('/diff', { by: b === 'type' ? null : b, all: all ? 1 : null })} aria-current=${b === by ? 'page' : null}>by ${b}</a>`)}
			<a href=${href('/diff', { by: by === 'type' ? null : by, all: all ? null : 1 })}>${all ? 'only what grew' : 'show all kinds'}</a>
		</nav>
		<${Loading} state=${state}>${(d) => html`
			<p>Objects <${Count} n=${d.objects_old} /> → <${Count} n=${d.objects_new} /> (<${Delta} old=${d.objects_old} now=${d.objects_new} />), size <${Bytes} n=${d.size_old} /> → <${Bytes} n=${d.size_new} /> (<${Delta} old=${d.size_old} now=${d.size_new} bytes />).</p>
			<h2>By kind</h2>
			<${Table} label="Kinds that grew" rows=${d.rows} empty="No kind grew." cols=${[
				{ title: 'Kind', cell: (r) => html`<${KindLink} kind=${r.kind} by=${by} />` },
				{ title: 'Count', num: true, cell: (r) => html`<${Count} n=${r.count_new} />` },
				{ title: '+Count', num: true, cell: (r) => html`<${Delta} old=${r.count_old} now=${r.count_new} />` },
				{ title: 'Size', num: true, cell: (r) => html`<${Bytes} n=${r.size_new} />` },
				{ title: '+Size', num: true, cell: (r) => html`<${Delta} old=${r.size_old} now=${r.size_new} bytes />` },
				{ title: '+Retained', num: true, cell: (r) => html`<${Delta} old=${r.retained_old} now=${r.retained_new} bytes />` },
			]} />
			<h2>By path from the roots</h2>
			<${Table} label="Paths that grew" rows=${d.paths} empty="No growing path among the largest retainers." cols=${[
				{ title: 'Path', cls: 'v', cell: (r) => html`<code class="path">${r.path}</code>` },
				{ title: 'Type', cell: (r) => html`<${KindLink} kind=${r.type} />` },
				{ title: 'Retained', num: true, cell: (r) => html`<${Bytes} n=${r.retained_new} />` },
				{ title: '+Retained', num: true, cell: (r) => html`<${Delta} old=${r.retained_old} now=${r.retained_new} bytes />` },
				{ title: '+Objects', num: true, cell: (r) => html`<${Delta} old=${r.objects_old} now=${r.objects_new} />` },
				{ title: 'New', cell: (r) => html`<${Addr} address=${r.address_new} />` },
				{ title: 'Old', cell: (r) => r.address_old ? html`<${Addr} address=${r.address_old} dump="old" />` : html`<span class="muted">new</span>` },
			]} />`}<//>
		<${Leaks} />
	</div>`;
}

export function NotFound({ path }) {
	return html`<div class="view"><h1>Not found</h1><p>No page at <code>${path}</code>. <a href="/">Overview</a></p></div>`;
}

export function objectRoute(path) {
	const m = path.match(/^\/objects\/([^/]+)$/);
	return m && isAddress(decodeURIComponent(m[1])) ? decodeURIComponent(m[1]) : null;
}
