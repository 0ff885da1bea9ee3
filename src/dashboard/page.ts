/** The dashboard's HTML and CSS; the script is the bundle built from client/ (scripts/build-dashboard.mjs). */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>synack — TCP states, live</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #0f172a; background: #f8fafc; }
  body { margin: 0; }
  header { display: flex; gap: 16px; align-items: baseline; padding: 10px 18px; background: #0f172a; color: #e2e8f0; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  header #title { font-size: 14px; color: #94a3b8; }
  header #clock { margin-left: auto; font-variant-numeric: tabular-nums; font-size: 14px; }
  header #status { font-size: 12px; color: #64748b; }
  main { display: grid; grid-template-columns: minmax(520px, 1.15fr) minmax(420px, 1fr); gap: 14px; padding: 14px; }
  section { background: white; border: 1px solid #e2e8f0; border-radius: 10px; padding: 10px 12px; }
  h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; color: #475569; margin: 2px 0 8px; }
  #player { display: none; grid-column: 1 / -1; gap: 8px; align-items: center; flex-wrap: wrap; }
  body[data-mode="player"] #player { display: flex; }
  #player label { font-size: 13px; color: #475569; }
  #player input { width: 56px; }
  #player select#scenario { max-width: 360px; }
  #player button { padding: 4px 12px; border-radius: 6px; border: 1px solid #94a3b8; background: #f1f5f9; cursor: pointer; }
  #about { grid-column: 1 / -1; font-size: 13px; color: #334155; margin: 0; }
  #progress { font-size: 12px; color: #64748b; font-variant-numeric: tabular-nums; }
  .diagram { width: 100%; height: auto; }
  .state rect { fill: #f1f5f9; stroke: #64748b; stroke-width: 1.2; }
  .state.busy rect { fill: #dbeafe; stroke: #1d4ed8; stroke-width: 2; }
  .state.closed rect { fill: #e2e8f0; }
  .state .name { font-size: 12px; font-weight: 600; fill: #0f172a; }
  .state .count { font-size: 15px; font-weight: 700; fill: #1d4ed8; font-variant-numeric: tabular-nums; }
  .state .delta { font-size: 11px; font-weight: 600; }
  .state .delta.up { fill: #16a34a; } .state .delta.down { fill: #dc2626; }
  .edge .line { fill: none; stroke: #94a3b8; stroke-width: 1.3; }
  .edge.path-client .line { stroke: #2563eb; stroke-width: 2.4; }
  .edge.path-server .line { stroke: #d97706; stroke-width: 2.4; stroke-dasharray: 7 4; }
  .edge.reset .line { stroke: #cbd5e1; stroke-dasharray: 2 3; }
  .edge.reset.taken .line { stroke: #64748b; }
  .edge .label { font-size: 9.5px; fill: #475569; }
  .edge .badge { font-size: 11px; font-weight: 700; fill: #b91c1c; }
  .edge.lit .line { stroke: #dc2626 !important; stroke-width: 4; }
  .no-edges .edge .badge { display: none; }
  body[data-mode="host"] .sequence-title { display: none; }
  body[data-mode="host"] #connections-title { text-transform: none; font: 12px ui-monospace, monospace; }
  body[data-mode="host"] #connections { max-height: none; font-size: 14px; }
  #connections { list-style: none; padding: 0; margin: 0; max-height: 180px; overflow: auto; font: 12px ui-monospace, monospace; white-space: pre; }
  #connections li { padding: 3px 6px; border-radius: 4px; cursor: pointer; }
  #connections li.selected { background: #dbeafe; }
  #selected-title { font: 12px ui-monospace, monospace; color: #334155; }
  .sequence .end { font: 600 12px ui-monospace, monospace; }
  .sequence .lifeline { stroke: #94a3b8; stroke-width: 2; }
  .sequence .arrow { stroke: #334155; stroke-width: 1.4; }
  .sequence .dropped .arrow { stroke: #dc2626; stroke-dasharray: 5 4; }
  .sequence .cross { stroke: #dc2626; stroke-width: 2.2; }
  .sequence .seglabel { font: 11px ui-monospace, monospace; fill: #0f172a; }
  .sequence .dropped .seglabel { fill: #dc2626; }
  .sequence .time { font: 10px ui-monospace, monospace; fill: #94a3b8; }
  .sequence .state-after { font: 10px ui-monospace, monospace; fill: #1d4ed8; }
  .legend { font-size: 12px; color: #475569; display: flex; gap: 14px; margin-top: 4px; }
  .legend span::before { content: ""; display: inline-block; width: 26px; height: 0; vertical-align: middle; margin-right: 5px; border-top: 3px solid #2563eb; }
  .legend .server::before { border-top: 3px dashed #d97706; }
  .legend .reset::before { border-top: 2px dotted #64748b; }
</style>
</head>
<body>
<header><h1>synack — TCP connection states</h1><span id="title"></span><span id="status"></span><span id="clock"></span></header>
<main>
  <section id="player">
    <label>scenario <select id="scenario"></select></label>
    <label>loss <input id="loss" value="0" inputmode="decimal"></label>
    <label>delay ms <input id="delay" value="5" inputmode="decimal"></label>
    <label>seed <input id="seed" value="1" inputmode="numeric"></label>
    <button id="load">load</button>
    <button id="play">▶ play</button>
    <button id="step">step one segment</button>
    <button id="pause">❚❚ pause</button>
    <label>speed <select id="speed"><option value="600">slow</option><option value="250" selected>normal</option><option value="40">fast</option></select></label>
    <span id="progress"></span>
    <a id="link" href="#">link to this run</a>
    <p id="about"></p>
  </section>
  <section>
    <h2>State diagram (RFC 9293 Figure 5)</h2>
    <div id="diagram"></div>
    <div class="legend"><span class="client">client path</span><span class="server">server path</span><span class="reset">reset / abort / timeout</span></div>
  </section>
  <section>
    <h2 id="connections-title">Connections</h2>
    <ul id="connections"></ul>
    <h2 class="sequence-title">Sequence <span id="selected-title"></span></h2>
    <div id="sequence"></div>
  </section>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
