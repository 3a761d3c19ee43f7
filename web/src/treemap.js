// SPDX-License-Identifier: MIT
// A treemap of the dominator tree: a node, its largest children (each with
// its own largest children) and the rest grouped by kind, as /api/tree
// returns it. Laid out by d3-hierarchy; drawn as links, so every box can be
// reached with the keyboard. Clicking an object descends into it (the URL
// keeps the node); clicking a group lists the objects of its kind.
import { hierarchy, treemap, treemapSquarify } from 'd3-hierarchy';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, href, humanBytes, fmtInt } from './util.js';

// A stable colour per kind.
function hue(kind) {
	let x = 0;
	for (let i = 0; i < kind.length; i++) x = (x * 31 + kind.charCodeAt(i)) >>> 0;
	return x % 360;
}

// The tree document as a hierarchy whose values add up to retained sizes:
// an expanded node weighs its own size, its listed children and its groups.
function toHierarchy(doc) {
	const conv = (n, depth) => {
		const kids = [
			...(n.children || []).map((c) => conv(c, depth + 1)),
			...(n.groups || []).map((g) => ({ group: true, kind: g.kind, count: g.count, retained: g.retained, own: g.retained })),
		];
		const expanded = n.children !== undefined;
		return { ...n, kids, own: expanded ? (n.address ? n.size : 0) : n.retained };
	};
	return hierarchy(conv(doc, 0), (d) => (d.kids && d.kids.length ? d.kids : null)).sum((d) => d.own);
}

function useWidth(ref) {
	const [w, setW] = useState(0);
	useEffect(() => {
		const ro = new ResizeObserver((entries) => setW(Math.floor(entries[0].contentRect.width)));
		ro.observe(ref.current);
		return () => ro.disconnect();
	}, []);
	return w;
}

function label(d) {
	const n = d.data;
	if (n.group) return `${n.kind === null ? 'other kinds' : n.kind} × ${fmtInt(n.count)}`;
	return n.type && n.type.startsWith('<') ? n.name : `${n.type}${n.value ? ' ' + n.value : ''}`;
}

function title(d) {
	const n = d.data;
	const size = `${humanBytes(n.retained)} (${fmtInt(n.retained)} bytes)`;
	if (n.group) return `${fmtInt(n.count)} ${n.kind === null ? 'objects of other kinds' : n.kind + ' objects'} retaining ${size}`;
	return `${n.name}${n.value ? ' = ' + n.value : ''}: retains ${size}, ${fmtInt(n.objects)} objects`;
}

export function Treemap({ doc, height = 420, dump }) {
	const ref = useRef(null);
	const width = useWidth(ref);
	let boxes = [];
	if (width > 0 && doc.retained > 0) {
		const root = toHierarchy(doc);
		treemap().tile(treemapSquarify).size([width, height]).paddingOuter(1).paddingTop((d) => (d.depth === 0 ? 1 : 16)).paddingInner(2).round(true)(root);
		boxes = root.descendants().filter((d) => d.depth > 0 && d.x1 - d.x0 >= 2 && d.y1 - d.y0 >= 2);
	}
	return html`<div class="treemap" ref=${ref} style=${{ height: `${height}px` }} role="group" aria-label="Where the memory is: the dominator tree">
		${boxes.map((d) => {
			const n = d.data;
			const w = d.x1 - d.x0, hgt = d.y1 - d.y0;
			const kind = n.group ? n.kind || 'other' : n.type;
			const to = n.group
				? n.kind && !n.kind.startsWith('<') ? href('/heap', { kind: n.kind }) : null
				: href('/', { node: n.id, dump: dump === 'old' ? 'old' : null });
			const style = { left: `${d.x0}px`, top: `${d.y0}px`, width: `${w}px`, height: `${hgt}px`, '--h': hue(kind) };
			const cls = `box depth${Math.min(d.depth, 3)}${n.group ? ' group' : ''}${d.children ? ' parent' : ''}`;
			const text = w > 40 && hgt > 14 ? html`<span class="lbl">${label(d)}</span><span class="sz">${humanBytes(n.retained)}</span>` : null;
			return to
				? html`<a class=${cls} style=${style} href=${to} title=${title(d)} key=${d.depth + ':' + (n.id || 'g' + kind)}>${text}</a>`
				: html`<div class=${cls} style=${style} title=${title(d)}>${text}</div>`;
		})}
	</div>`;
}
