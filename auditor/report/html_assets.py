"""The inline stylesheet and script of the HTML report (kept apart from the markup code)."""

from __future__ import annotations

CSS = """
:root{--fail:#c62828;--fail-bg:#fdecea;--na:#b26a00;--na-bg:#fff4e0;--waived:#00838f;
--waived-bg:#e0f4f6;--pass:#2e7d32;--pass-bg:#e8f5e9;--napp:#616161;--napp-bg:#f1f1f1;
--line:#d9dde3;--ink:#1d2430;--muted:#5b6472;--accent:#1f4e8c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);
background:#f6f7f9}
header{background:#14233c;color:#fff;padding:18px max(28px,calc((100% - 1680px)/2 + 28px))}
header h1{margin:0 0 4px;font-size:22px}
header .meta{margin:0;color:#c9d3e3}
header code{color:#fff}
main{padding:12px 28px 40px;max-width:1680px;margin:0 auto}
h2{font-size:18px;margin:26px 0 8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin-top:14px}
.card{display:flex;flex-direction:column;min-width:118px;padding:10px 14px;border-radius:8px;
background:#fff;border:1px solid var(--line);border-top:4px solid var(--muted);
text-decoration:none;color:inherit}
.card b{font-size:26px;line-height:1.1}
.card span{color:var(--muted)}
.card:hover{box-shadow:0 1px 4px rgba(0,0,0,.15)}
.card.zero{opacity:.5}
.c-fail{border-top-color:var(--fail)}.c-fail b{color:var(--fail)}
.c-not_assessed{border-top-color:var(--na)}.c-not_assessed b{color:var(--na)}
.c-waived{border-top-color:var(--waived)}.c-pass{border-top-color:var(--pass)}
.c-pass b{color:var(--pass)}.c-not_applicable{border-top-color:#9e9e9e}
.c-total{border-top-color:var(--accent)}
.sevline{display:flex;align-items:center;gap:18px;margin:12px 0 4px;flex-wrap:wrap}
.worst{margin:0}
.sevs{display:flex;gap:8px;list-style:none;padding:0;margin:0}
.sevs li{padding:2px 10px;border-radius:12px;background:#fff;border:1px solid var(--line)}
.line{margin:4px 0;color:var(--muted)}
.meta{color:var(--muted);margin:2px 0}
.sev-critical b,.sev.sev-critical{color:#fff;background:#8e0000}
.sev-high b,.sev.sev-high{color:#fff;background:var(--fail)}
.sev-medium b,.sev.sev-medium{color:#fff;background:#d17a00}
.sev-low b,.sev.sev-low{color:#fff;background:#5072a7}
.sev-info b,.sev.sev-info{color:#fff;background:#8a8f98}
.sevs b,.worst b{padding:0 6px;border-radius:8px}
.worst.ok{color:var(--pass);font-weight:600}
.hint{color:var(--muted);margin:0 0 6px}
.legend{display:flex;gap:6px;list-style:none;padding:0;margin:6px 0 10px;flex-wrap:wrap}
.legend li{padding:1px 10px;border-radius:4px;font-size:12px}
.matrix-wrap{margin:0 0 14px}
.matrix-wrap h3{font-size:15px;margin:10px 0 4px}
.matrix-scroll{overflow-x:auto;background:#fff;border:1px solid var(--line);border-radius:8px;
width:fit-content;max-width:100%}
.matrix{border-collapse:collapse;width:auto}
.matrix th.rule{width:420px}
.matrix th.corner{position:sticky;left:0;z-index:2;min-width:240px}
.matrix th,.matrix td{border:1px solid var(--line);padding:5px 8px;text-align:left;
vertical-align:middle}
.matrix thead th{background:#eef1f5;font-weight:600;white-space:nowrap}
.matrix th.prov{text-align:center}
.matrix th.tenant{font-weight:500;text-align:center}
.matrix th.unit{font-weight:500;font-size:12px;text-align:center;white-space:normal;
color:var(--muted);min-width:58px;line-height:1.2}
.matrix.dense th.unit{overflow-wrap:anywhere;max-width:72px}
.matrix th.tenant{white-space:normal;overflow-wrap:anywhere}
.matrix th.rule{position:sticky;left:0;background:#fff;z-index:1}
.matrix tr.group th{background:#f4f6f9;font-weight:700;padding-top:7px}
.matrix tr.group th span{font-weight:400;color:var(--muted)}
.sevs li.zero{opacity:.45}
.matrix th.rule{font-weight:400;min-width:240px}
.matrix th.rule code{font-weight:600;margin-right:6px}
.matrix td.cell{text-align:center;white-space:nowrap;font-size:12px;font-weight:600;
min-width:58px;padding:5px 4px}
.matrix td.cell a{color:inherit;text-decoration:none;display:block}
.matrix td.none{color:#b0b5bd;background:#fafafa}
.s-fail{background:var(--fail-bg);color:var(--fail)}
.s-not_assessed{background:var(--na-bg);color:var(--na)}
.s-waived{background:var(--waived-bg);color:var(--waived)}
.s-pass{background:var(--pass-bg);color:var(--pass)}
.s-not_applicable{background:var(--napp-bg);color:var(--napp)}
.legend li.none{background:#fafafa;color:#9aa0a8;border:1px solid var(--line)}
.filters{display:flex;gap:12px;align-items:end;flex-wrap:wrap;background:#fff;
border:1px solid var(--line);border-radius:8px;padding:10px 12px;position:sticky;top:0;z-index:2}
.filters label{display:flex;flex-direction:column;font-size:12px;color:var(--muted);gap:2px}
.filters .grow{flex:1;min-width:220px}
.filters select,.filters input,.filters button{font:inherit;padding:4px 6px;
border:1px solid #b9c0ca;border-radius:5px;background:#fff}
.filters output{margin-left:auto;color:var(--muted);align-self:center}
#list{margin-top:10px}
.finding{background:#fff;border:1px solid var(--line);border-left:5px solid var(--napp);
border-radius:6px;margin:3px 0}
.finding.s-fail{border-left-color:var(--fail)}
.finding.s-not_assessed{border-left-color:var(--na)}
.finding.s-waived{border-left-color:var(--waived)}
.finding.s-pass{border-left-color:var(--pass)}
.finding{color:var(--ink)}
.finding>summary{cursor:pointer;padding:5px 12px;display:flex;gap:10px;align-items:baseline;
flex-wrap:wrap;list-style-position:outside}
.badge,.sev{font-size:11.5px;font-weight:700;padding:1px 8px;border-radius:10px;
text-transform:uppercase;letter-spacing:.02em;white-space:nowrap}
.rid{font-weight:600}
.title{font-weight:600}
.where{color:var(--muted);font-size:12.5px;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap;flex:1 1 200px;min-width:0;padding-left:2px}
.finding>summary{flex-wrap:nowrap}
.finding>summary .title{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;
flex:0 1 auto}
.body{padding:0 16px 12px;border-top:1px solid var(--line);background:#fff}
.body .msg{font-size:14.5px}
.body dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:8px 0}
.body dt{color:var(--muted)}
.body dd{margin:0;overflow-wrap:anywhere}
.body h4{margin:12px 0 4px;font-size:13px;color:var(--muted);text-transform:uppercase;
letter-spacing:.04em}
pre{background:#f4f6f9;border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:0;
white-space:pre-wrap;overflow-wrap:anywhere;font-size:12.5px}
.remediation{overflow-wrap:anywhere}
pre.evidence{max-height:360px;overflow:auto}
pre.cmd{background:#f0f6ff;white-space:pre;overflow-x:auto;overflow-wrap:normal;margin:4px 0;
padding:6px 10px}
pre.cmd code{font-size:12.5px}
#digest .clouds{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:10px}
#digest .cloud{background:#fff;border:1px solid var(--line);border-top:4px solid var(--fail);
border-radius:8px;padding:8px 12px}
#digest .cloud h3{margin:0 0 4px;font-size:14.5px}
#digest .cloud ul{margin:0;padding-left:18px}
#digest .cloud li::marker{content:"✘  ";color:var(--fail)}
#digest .more{margin:4px 0 0;color:var(--muted);font-size:12.5px}
#digest .unreachable{background:var(--fail-bg);border:1px solid #ef9a9a;border-radius:8px;
padding:8px 12px 8px 30px;margin:10px 0}
.fixes{padding-left:30px;margin:6px 0}
.fix{background:#fff;border:1px solid var(--line);border-left:5px solid var(--fail);
border-radius:6px;padding:6px 12px;margin:6px 0}
.fix.fsev-low,.fix.fsev-info{border-left-color:#5072a7}.fix.fsev-medium{border-left-color:#d17a00}
.fix .fhead{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}
.fix .star{color:#c79100;font-size:16px}
.fix .count{margin-left:auto;font-weight:600;color:var(--fail)}
.fix .where{font-weight:600}
.fix .what{margin:2px 0 4px;color:var(--muted)}
.remediation pre.cmd:last-child{margin-bottom:2px}
.more-fixes>summary{cursor:pointer;color:var(--accent);margin:6px 0}
.waiver{background:var(--waived-bg);border-radius:6px;padding:2px 10px;margin:6px 0}
.refs{margin:0;padding-left:18px}
.errors{margin:8px 0;color:var(--na)}
.empty{color:var(--muted);font-style:italic}
"""

# a printable page: no sticky or scrolling parts, no filters, commands wrap only on paper
PRINT_CSS = """
@media print{
body{background:#fff;font-size:11px}
header{background:none;color:#000;padding:0 0 6px;border-bottom:2px solid #000}
header .meta,header code{color:#000}
main{max-width:none;padding:0}
.filters,#none-shown,.legend,.hint{display:none}
.matrix-scroll{overflow:visible;border:0}
.matrix th.rule,.matrix th.corner{position:static}
.matrix td.cell{min-width:0}
pre.cmd{white-space:pre-wrap;overflow-wrap:anywhere}
pre.evidence{max-height:none;overflow:visible}
code,pre code{font-size:10px}
.finding.s-pass,.finding.s-not_applicable{display:none}
.fix,.cloud,.pb,.finding,.matrix tr{break-inside:avoid}
h2{break-after:avoid}
a{color:inherit;text-decoration:none}
}
"""

JS = """
(function(){
  var F=['status','severity','provider','q'];
  var el=function(id){return document.getElementById(id);};
  var items=Array.prototype.slice.call(document.querySelectorAll('#list .finding'));
  var rows=Array.prototype.slice.call(document.querySelectorAll('#matrix tbody tr'));
  var cards=Array.prototype.slice.call(document.querySelectorAll('#summary .card'));
  function val(k){return el('f-'+k).value;}
  function apply(push){
    var st=val('status'),sv=val('severity'),pv=val('provider');
    var toks=val('q').toLowerCase().split(/\\s+/).filter(Boolean);
    var n=0, per={total:0};
    items.forEach(function(d){
      var s=d.dataset.status, t=d.dataset.text;
      var rest=(!sv||d.dataset.severity===sv)&&(!pv||d.dataset.provider===pv)&&
        toks.every(function(w){return t.indexOf(w)>=0;});
      var ok=rest&&(!st||(st==='gaps'?(s==='fail'||s==='not_assessed'):s===st));
      if(rest){per.total++;per[s]=(per[s]||0)+1;}
      d.hidden=!ok; if(ok){n++;}
    });
    cards.forEach(function(c){
      var k=c.dataset.count, v=per[k]||0;
      c.querySelector('b').textContent=v;
      c.classList.toggle('zero',!v);
      c.classList.toggle('on',k===st||(k==='total'&&!st));
    });
    el('shown').textContent=n+' of '+items.length+' findings shown';
    el('none-shown').hidden=n>0||items.length===0;
    document.querySelectorAll('#matrix [data-provider]').forEach(function(c){
      c.hidden=!!pv&&c.dataset.provider!==pv;
    });
    var live={};
    rows.forEach(function(r){
      if(!r.classList.contains('rule-row')){return;}
      r.hidden=!!pv&&(' '+r.dataset.providers+' ').indexOf(' '+pv+' ')<0;
      if(!r.hidden){live[r.dataset.rec+'@'+r.closest('table').dataset.providerTable]=1;}
    });
    rows.forEach(function(r){if(r.classList.contains('group')){
      var table=r.closest('table');
      r.hidden=!live[r.dataset.rec+'@'+table.dataset.providerTable];
      r.firstChild.colSpan=1+table.querySelectorAll('th.leaf:not([hidden])').length;}});
    if(push){
      var p=new URLSearchParams();
      F.forEach(function(k){if(val(k)){p.set(k,val(k));}});
      var qs=p.toString();
      history.replaceState(null,'',location.pathname+(qs?'?'+qs:'')+location.hash);
    }
  }
  var params=new URLSearchParams(location.search);
  F.forEach(function(k){
    var v=params.get(k)||'', c=el('f-'+k);
    var known=function(o){return o.value===v;};
    if(c.tagName==='SELECT'&&v&&!Array.prototype.some.call(c.options,known)){v='';}
    c.value=v;
    c.addEventListener(c.tagName==='SELECT'?'change':'input',function(){apply(true);});
  });
  el('f-reset').addEventListener('click',function(){F.forEach(function(k){el('f-'+k).value='';});apply(true);});
  apply(false);
  window.addEventListener('beforeprint',function(){
    document.querySelectorAll('details.more-fixes').forEach(function(d){d.open=true;});});
  if(params.get('q')){items.forEach(function(d){if(!d.hidden){d.open=true;}});}
})();
"""
