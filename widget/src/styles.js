// The widget's stylesheet. Applied as a constructable stylesheet (adoptedStyleSheets), which a
// strict CSP (style-src 'self', no 'unsafe-inline') allows; no inline style attributes are used.
export const CSS = `
:host{display:block!important;visibility:visible!important;opacity:1!important;color:var(--tarjotin-text,#1a1a1a)!important;background:var(--tarjotin-bg,#fff)!important;font:400 var(--tarjotin-font-size,1rem)/1.5 var(--tarjotin-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif)!important;text-align:start!important;letter-spacing:normal!important;text-transform:none!important}
:host([hidden]){display:none!important}
*,*::before,*::after{box-sizing:border-box}
.root{max-width:var(--tarjotin-max-width,60rem);min-width:0;overflow-wrap:anywhere}
[hidden]{display:none!important}
form{display:grid;gap:.75rem;margin:0 0 .75rem}
label,legend{font-weight:600}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}
.combo{position:relative;flex:1 1 14rem;min-width:0}
.combo label{display:block;margin-bottom:.25rem}
input[type=search],select{font:inherit;color:inherit;background:var(--tarjotin-bg,#fff);border:2px solid var(--tarjotin-border,#595959);border-radius:var(--tarjotin-radius,.375rem);padding:.5rem .6rem;min-height:2.75rem;width:100%;min-width:0;max-width:100%}
button{font:inherit;cursor:pointer;border-radius:var(--tarjotin-radius,.375rem);min-height:2.75rem;padding:.45rem .9rem;border:2px solid var(--tarjotin-accent,#0a5699);background:var(--tarjotin-bg,#fff);color:var(--tarjotin-accent,#0a5699);font-weight:600}
button.primary{background:var(--tarjotin-accent,#0a5699);color:var(--tarjotin-accent-text,#fff)}
button:hover{text-decoration:underline}
:focus-visible{outline:3px solid var(--tarjotin-focus,#b3006b);outline-offset:2px}
input:focus-visible,select:focus-visible{outline:3px solid var(--tarjotin-focus,#b3006b);outline-offset:1px}
[role=listbox]{position:absolute;z-index:10;left:0;right:0;margin:.25rem 0 0;padding:.25rem 0;list-style:none;background:var(--tarjotin-bg,#fff);border:2px solid var(--tarjotin-border,#595959);border-radius:var(--tarjotin-radius,.375rem);max-height:18rem;overflow-y:auto;box-shadow:0 4px 12px rgba(0,0,0,.2)}
[role=option]{padding:.45rem .7rem;cursor:pointer;display:flex;gap:.5rem;justify-content:space-between;flex-wrap:wrap}
[role=option][aria-selected=true]{background:var(--tarjotin-accent,#0a5699);color:var(--tarjotin-accent-text,#fff)}
[role=option] small{opacity:.9}
fieldset{border:1px solid var(--tarjotin-border,#595959);border-radius:var(--tarjotin-radius,.375rem);margin:0;padding:.5rem .75rem .75rem;display:flex;flex-wrap:wrap;gap:.75rem;min-width:0}
legend{padding:0 .25rem}
.field{display:flex;flex-direction:column;gap:.25rem;flex:1 1 11rem;min-width:0}
.checks{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:center;flex:1 1 100%}
.checks label{font-weight:400;display:inline-flex;gap:.4rem;align-items:center;min-height:2.75rem}
input[type=checkbox]{width:1.25rem;height:1.25rem;accent-color:var(--tarjotin-accent,#0a5699);margin:0}
.tools{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.tools input{flex:1 1 14rem;font:inherit;padding:.4rem;border:1px solid var(--tarjotin-border,#595959)}
.status{font-weight:600;margin:.5rem 0}
.loading{color:var(--tarjotin-muted,#4d4d4d);margin:.25rem 0}
.error{border-left:4px solid #b00020;padding:.5rem .75rem;background:#fdf1f2;color:#5c0011;margin:.5rem 0}
.error:empty,.notice:empty{display:none}
.notice{border-left:4px solid var(--tarjotin-accent,#0a5699);padding:.5rem .75rem;margin:.5rem 0}
.empty ul,.results{list-style:none;padding:0;margin:0}
.empty ul{display:flex;flex-wrap:wrap;gap:.5rem}
.results{display:grid;gap:.75rem}
.hit{border:1px solid var(--tarjotin-border-light,#c4c4c4);border-radius:var(--tarjotin-radius,.375rem);padding:.75rem 1rem;min-width:0}
.hit h3{font-size:1.15em;margin:0 0 .25rem;line-height:1.3}
.hit h3:focus{outline:3px solid var(--tarjotin-focus,#b3006b)}
.hit p{margin:.25rem 0}
.meta{color:var(--tarjotin-muted,#4d4d4d)}
mark{background:var(--tarjotin-mark,#fff0a8);color:inherit;font-weight:600}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem .75rem;margin:.4rem 0}
dt{font-weight:600}dd{margin:0}
.badges,.contact{display:flex;flex-wrap:wrap;gap:.4rem .9rem;list-style:none;padding:0;margin:.4rem 0 0}
.badge{display:inline-block;border:1px solid #1d5e2f;color:#14532d;background:#eaf5ec;border-radius:1em;padding:0 .6em;font-size:.9em}
a{color:var(--tarjotin-link,#0a5699);text-decoration:underline}
a:hover{text-decoration-thickness:3px}
.stale{color:#6b3e00;font-size:.9em}
.more{margin-top:1rem}
.vh{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap}
@media (max-width:30rem){.field{flex-basis:100%}dl{grid-template-columns:minmax(0,1fr)}dd{margin-bottom:.25rem}}
@media (forced-colors:active){[role=option][aria-selected=true]{outline:2px solid Highlight}mark{forced-color-adjust:none}}
@media print{form,.tools,.more,.loading,.empty ul,[role=listbox]{display:none!important}.hit{break-inside:avoid;border:0;border-bottom:1px solid #000;border-radius:0;padding:.5rem 0}a{color:#000;text-decoration:none}a[href^=http]::after{content:" (" attr(href) ")"}:host{color:#000!important;background:#fff!important}}
`;
