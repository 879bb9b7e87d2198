/* China's cities on a map (templates/_map.html): the factory's point, and on the factory form a
 * picker. The shapes are our own static GeoJSON (market/regions/boundaries.py), longitude/latitude
 * in degrees (WGS-84, as we store factories); ECharts is our own copy. No tile server, no CDN.
 *
 * A picker (data-pick) fills the form's #latitude and #longitude with the clicked point, asks the
 * server which division it lies in (data-resolve, GET /regions/resolve?lat=&lon=) and shows the
 * answer in the form's [data-division] output; it fills #region with the division's Chinese
 * name when the region is empty or was filled by the map before. Typing coordinates moves the
 * point. This file has no words of its own: the server sends every label.
 */
(function () {
  'use strict';
  var E = window.echarts;
  if (!E || !window.fetch) return;
  var MAP = 'china-cities', loading = null;

  function geo(url) {
    if (!loading) {
      loading = fetch(url, {credentials: 'same-origin'}).then(function (r) { return r.json(); })
        .then(function (json) { E.registerMap(MAP, json); return json; });
    }
    return loading;
  }

  function round(v) { return Math.round(v * 1e5) / 1e5; }  // ~1 m: more digits than a click means

  function draw(fig) {
    var canvas = document.createElement('div');
    canvas.className = 'map-canvas';
    fig.appendChild(canvas);
    var chart = E.init(canvas, null, {renderer: 'canvas'});
    var zh = fig.dataset.lang === 'zh';
    function point(lat, lon) {
      return [{value: [lon, lat]}];
    }
    var has = fig.dataset.lat != null && fig.dataset.lon != null;
    var start = has ? [Number(fig.dataset.lon), Number(fig.dataset.lat)] : null;
    chart.setOption({
      // no hover tooltip: the division a point is in is the server's answer (shown by the form), not
      // the canvas's hit test, which named a neighbouring city at some pixels in our tests
      geo: {map: MAP, nameProperty: zh ? 'name' : 'en', roam: true, scaleLimit: {min: 1, max: 40},
            center: start || undefined, zoom: start ? 4 : 1,
            itemStyle: {areaColor: '#eef3f0', borderColor: '#9fb3a8', borderWidth: 0.5},
            emphasis: {label: {show: false}, itemStyle: {areaColor: '#cfe8dd'}},
            select: {disabled: true}},
      series: [{type: 'scatter', coordinateSystem: 'geo', symbolSize: 12, itemStyle: {color: '#b3261e'},
                data: has ? point(start[1], start[0]) : [], silent: true}]
    });
    fig.chart = chart;  // for the browser tests, as static/charts.js does
    fig.classList.add('charted');
    window.addEventListener('resize', function () { chart.resize(); });
    if (fig.hasAttribute('data-pick')) picker(fig, chart);
  }

  function picker(fig, chart) {
    var form = fig.closest('form');
    var lat = form.querySelector('#latitude'), lon = form.querySelector('#longitude');
    var region = form.querySelector('#region'), out = form.querySelector('[data-division]');
    var asked = 0, hint = form.querySelector('[data-map-hint]');
    if (hint) hint.hidden = false;  // without JS there is no map to click: the hint stays hidden
    function show(la, lo) {
      chart.setOption({series: [{data: [{value: [lo, la]}]}]});
      var mine = ++asked;
      fetch(fig.dataset.resolve + '?lat=' + encodeURIComponent(la) + '&lon=' + encodeURIComponent(lo),
            {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (r) { return r.json(); })
        .then(function (body) {
          if (mine !== asked || !out) return;  // a later click answered first: keep the newest
          var d = body.division;
          out.textContent = d ? d.label + ' (' + d.code + ')' : out.dataset.none;
          out.dataset.code = d ? d.code : '';
          if (d && region && (!region.value.trim() || region.dataset.fromMap === region.value)) {
            region.value = d.zh_label;
            region.dataset.fromMap = region.value;
          }
        });
    }
    chart.getZr().on('click', function (e) {
      var at = chart.convertFromPixel({geoIndex: 0}, [e.offsetX, e.offsetY]);
      if (!at || isNaN(at[0]) || isNaN(at[1])) return;
      lat.value = round(at[1]); lon.value = round(at[0]);
      show(Number(lat.value), Number(lon.value));
    });
    function typed() {
      var la = parseFloat(lat.value), lo = parseFloat(lon.value);
      if (isFinite(la) && isFinite(lo) && Math.abs(la) <= 90 && Math.abs(lo) <= 180) show(la, lo);
    }
    lat.addEventListener('change', typed);
    lon.addEventListener('change', typed);
    if (lat.value && lon.value) typed();
  }

  document.querySelectorAll('figure[data-china-map]').forEach(function (fig) {
    geo(fig.dataset.geo).then(function () { draw(fig); });
  });
})();
