/**
 * HTML for the emulator's own pages (consent, picker, errors): one shell with
 * the language switcher, a per-response CSP nonce and strict headers. Values
 * are escaped by the `html` tag unless marked raw.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { LOCALES, LOCALE_NAMES, requestedLocale, translator, type Locale, type Translate } from './i18n.ts';

export class Raw {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
}
export const raw = (value: string) => new Raw(value);

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function render(value: unknown): string {
  if (value instanceof Raw) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** Tagged template: every interpolation is escaped unless it is Raw (or an array of Raw). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  return raw(strings.reduce((out, part, i) => out + part + (i < values.length ? render(values[i]) : ''), ''));
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export interface PageContext {
  locale: Locale;
  t: Translate;
  nonce: string;
}

/** Language: ?hl=, then the lang cookie, then Accept-Language. */
export function pageContext(req: Request): PageContext {
  const hl = typeof req.query.hl === 'string' ? req.query.hl.split('-')[0] : undefined;
  const locale = requestedLocale(req, hl ?? cookie(req, 'lang'));
  return { locale, t: translator(locale), nonce: randomBytes(16).toString('base64') };
}

export function emulatorCookie(req: Request, name: string): string | undefined {
  return cookie(req, name);
}

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans Thai","Noto Sans Bengali","Tlwg Typo","Lohit Bengali",sans-serif;line-height:1.6;color:#1f1f1f;background:#f0f4f9}
body{margin:0}main{max-width:56rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:16px;padding:clamp(1rem,4vw,2rem);border:1px solid #d3d9e0}
h1{font-size:1.5rem;line-height:1.3;margin:0 0 1rem}
.notice{background:#fff3cd;color:#3d2e00;padding:.5rem 1rem;margin:0;font-size:.9rem}
header{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.5rem;padding:.5rem 1rem;background:#fff;border-bottom:1px solid #d3d9e0}
header ul{display:flex;gap:.25rem;list-style:none;margin:0;padding:0}header a{display:inline-block;padding:.35rem .6rem;min-height:44px;line-height:2;color:#0b57d0}
fieldset{border:1px solid #d3d9e0;border-radius:8px;margin:0 0 1rem;padding:.5rem 1rem}legend{font-weight:600}
label{display:flex;gap:.5rem;align-items:center;padding:.4rem 0;min-height:44px}
input[type=radio],input[type=checkbox]{width:1.25rem;height:1.25rem;flex:none}
.buttons{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1rem}
button{font:inherit;font-weight:600;min-height:44px;padding:.5rem 1.5rem;border-radius:22px;border:2px solid #0b57d0;cursor:pointer}
button.primary{background:#0b57d0;color:#fff}button.secondary{background:#fff;color:#0b57d0}
button:disabled{opacity:.6}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px;box-shadow:0 0 0 5px #1f1f1f}
.grid{list-style:none;padding:0;margin:1rem 0;display:grid;grid-template-columns:repeat(auto-fill,minmax(8.5rem,1fr));gap:.75rem}
.grid label{flex-direction:column;align-items:stretch;border:2px solid #d3d9e0;border-radius:12px;padding:.4rem;background:#fff}
.grid label:has(input:checked){border-color:#0b57d0;background:#e8f0fe}
.grid img{width:100%;aspect-ratio:1;object-fit:cover;border-radius:8px;background:#d3d9e0}
.grid .meta{font-size:.85rem;overflow-wrap:anywhere}
.sticky{position:sticky;bottom:0;background:#fff;padding:.75rem 0;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;border-top:1px solid #d3d9e0}
.error{color:#a50e0e;font-weight:600}
`;

export function sendPage(req: Request, res: Response, ctx: PageContext, title: string, body: Raw, status = 200): void {
  const languages = LOCALES.map((code) => {
    const target = new URL(req.originalUrl, 'http://emulator.invalid');
    target.searchParams.set('hl', code);
    return html`<li><a href="${`${target.pathname}${target.search}`}" lang="${code}" hreflang="${code}"${code === ctx.locale ? raw(' aria-current="true"') : raw('')}>${LOCALE_NAMES[code]}</a></li>`;
  });
  const page = html`<!doctype html>
<html lang="${ctx.locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,"><title>${title}</title><style nonce="${ctx.nonce}">${raw(STYLE)}</style></head>
<body><p class="notice">${ctx.t('emulatorNotice')}</p>
<header><strong>${ctx.t('brand')}</strong><nav aria-label="${ctx.t('lang.label')}"><ul>${languages}</ul></nav></header>
<main>${body}</main></body></html>`;
  res.status(status);
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': `default-src 'none'; img-src 'self' data:; style-src 'nonce-${ctx.nonce}'; script-src 'nonce-${ctx.nonce}'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'`,
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  });
  res.send(page.value);
}

export function errorPage(req: Request, res: Response, status: number, message: string): void {
  const ctx = pageContext(req);
  sendPage(req, res, ctx, ctx.t('error.title'), html`<section class="card"><h1>${ctx.t('error.title')}</h1><p>${message}</p></section>`, status);
}

export function translatedError(req: Request, res: Response, status: number, key: string, values?: Record<string, string | number>): void {
  errorPage(req, res, status, pageContext(req).t(key, values));
}
