// SPDX-License-Identifier: MIT
// The pyheap UI: the page's frame (navigation, search) and the routes.
// Routes keep the paths PyHeap's UI had (/threads, /heap, /objects/ADDR).
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, useRoute, navigate, href, isAddress, api } from './util.js';
import { Overview, Threads, Heap, ObjectView, Suspects, Waste, KindPaths, Diff, NotFound, objectRoute } from './views.js';

const NAV = [
	['/', 'Overview'],
	['/threads', 'Threads'],
	['/heap', 'Objects'],
	['/suspects', 'Suspects'],
	['/waste', 'Waste'],
	['/diff', 'Diff'],
];

// The search box: an address opens that object, anything else searches values.
function Search() {
	const ref = useRef(null);
	const [text, setText] = useState('');
	useEffect(() => {
		const key = (e) => {
			if (e.key === '/' && !/^(INPUT|SELECT|TEXTAREA)$/.test(document.activeElement.tagName)) {
				e.preventDefault();
				ref.current.focus();
			}
		};
		document.addEventListener('keydown', key);
		return () => document.removeEventListener('keydown', key);
	}, []);
	const submit = (e) => {
		e.preventDefault();
		const t = text.trim();
		if (!t) return;
		navigate(isAddress(t) ? `/objects/${t}` : href('/heap', { q: t }));
	};
	return html`<form class="search" role="search" onSubmit=${submit}>
		<input ref=${ref} type="search" name="search" value=${text} onInput=${(e) => setText(e.target.value)}
			placeholder="Search values, or an address (press /)" aria-label="Search values or go to an address" />
	</form>`;
}

function App() {
	const { path, params } = useRoute();
	const [server, setServer] = useState(null);
	useEffect(() => { api('/server').then(setServer, () => {}); }, []);
	let view, title;
	const addr = objectRoute(path);
	if (path === '/') [view, title] = [html`<${Overview} params=${params} />`, 'Overview'];
	else if (path === '/threads') [view, title] = [html`<${Threads} params=${params} />`, 'Threads'];
	else if (path === '/heap') [view, title] = [html`<${Heap} params=${params} key=${location.search} />`, 'Objects'];
	else if (addr) [view, title] = [html`<${ObjectView} address=${addr} params=${params} key=${addr} />`, addr];
	else if (path === '/suspects') [view, title] = [html`<${Suspects} params=${params} />`, 'Suspects'];
	else if (path === '/paths') [view, title] = [html`<${KindPaths} params=${params} />`, 'Paths'];
	else if (path === '/waste') [view, title] = [html`<${Waste} params=${params} />`, 'Waste'];
	else if (path === '/diff') [view, title] = [html`<${Diff} params=${params} server=${server} />`, 'Diff'];
	else [view, title] = [html`<${NotFound} path=${path} />`, 'Not found'];
	useEffect(() => { document.title = `${title} · pyheap`; }, [title]);
	const section = addr || path === '/paths' ? '/heap' : path;
	return html`
		<header class="top">
			<a class="brand" href="/">pyheap</a>
			<nav aria-label="Views">
				${NAV.filter(([p]) => p !== '/diff' || !server || server.old_file).map(([p, name]) => html`<a href=${p} aria-current=${section === p ? 'page' : null}>${name}</a>`)}
			</nav>
			<${Search} />
		</header>
		<main id="main">${view}</main>
		<footer class="muted small">pyheap ${server ? server.version : ''} · ${server ? server.file : ''} · <a href="/api/server">API</a> · <a href="/assets/LICENSES.txt">licenses</a></footer>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the static "Loading" line
render(html`<${App} />`, root);
