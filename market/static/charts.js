/* Interactive charts drawn from the JSON the server embeds in the page.
 *
 * Each chart is a <figure data-chart> holding a <script type="application/json" class="chart-spec">
 * and a server-drawn fallback (.chart-fallback: SVG or a table). With ECharts loaded (our own copy,
 * static/vendor/echarts) the figure draws the spec into a new .chart-canvas and hides the fallback;
 * without JS, or when printing, the fallback is what shows. The server sends every label already
 * translated; this file has no words of its own.
 *
 * Spec kinds (market/web/chart_specs.py builds them):
 *   cartesian  categories + series of bars/lines (stacked or not), optional links per category
 *   pareto     bars by size with the cumulative share as a line, links per bar
 *   heatmap    x labels, y labels, cells [x, y, value]
 *   gantt      rows, bars {row, start, end, kind, tip, href, late}, now: times are the factory's
 *              wall clock sent as UTC milliseconds, so the axis reads in the factory's zone
 */
(function () {
  'use strict';
  var E = window.echarts;
  if (!E) return;
  var ZH = (document.documentElement.lang || '').toLowerCase() === 'zh-cn';
  var INK = '#1d2733', MUTED = '#5d6b7a', GRID = '#e3e8ee';

  function esc(s) { return E.format.encodeHTML(String(s == null ? '' : s)); }

  function formatter(spec) {
    var digits = spec.digits == null ? 1 : spec.digits;
    return function (v) {
      if (v == null || v === '-' || isNaN(v)) return '—';
      if (spec.percent) return (v * 100).toFixed(digits) + '%';
      return Number(v).toFixed(digits) + (spec.unit ? ' ' + spec.unit : '');
    };
  }

  function zoom(spec, axis) {
    var key = axis === 'y' ? 'yAxisIndex' : 'xAxisIndex';
    var inside = {type: 'inside', filterMode: spec.kind === 'gantt' ? 'weakFilter' : 'filter'};
    var slider = {type: 'slider', height: 18, bottom: 6, filterMode: inside.filterMode, showDetail: false,
                  brushSelect: false};
    inside[key] = 0; slider[key] = 0;
    return [inside, slider];
  }

  function valueAxis(spec, extra) {
    var f = formatter(spec);
    var axis = {type: 'value', axisLabel: {color: MUTED, formatter: function (v) { return spec.percent ? Math.round(v * 100) + '%' : v; }},
                splitLine: {lineStyle: {color: GRID}}};
    if (spec.percent) { axis.min = 0; axis.max = spec.ymax || 1; }
    if (spec.digits === 0 && !spec.percent) axis.minInterval = 1;  // counts: no 0.2 of an order
    axis.tooltipFormatter = f;
    return Object.assign(axis, extra || {});
  }

  var build = {
    cartesian: function (spec) {
      var f = formatter(spec);
      var cat = {type: 'category', data: spec.categories, axisLabel: {color: MUTED}, axisTick: {alignWithLabel: true}};
      var val = valueAxis(spec);
      return {
        grid: {left: spec.horizontal ? 8 : 48, right: 16, top: spec.legend === false ? 16 : 40, bottom: spec.zoom ? 56 : 28,
               containLabel: !!spec.horizontal},
        legend: spec.legend === false ? undefined : {top: 0, textStyle: {color: INK}},
        tooltip: {trigger: 'axis', axisPointer: {type: 'shadow'}, valueFormatter: f, confine: true},
        xAxis: spec.horizontal ? val : cat,
        yAxis: spec.horizontal ? Object.assign(cat, {inverse: true}) : val,
        dataZoom: spec.zoom ? zoom(spec, spec.horizontal ? 'y' : 'x') : undefined,
        series: spec.series.map(function (s) {
          return {name: s.name, type: s.type || 'bar', stack: s.stack, data: s.data, barMaxWidth: 36,
                  itemStyle: s.color ? {color: s.color} : undefined, lineStyle: s.dashed ? {type: 'dashed'} : undefined,
                  symbol: s.type === 'line' ? 'circle' : undefined, showSymbol: s.type === 'line' ? spec.categories.length < 40 : undefined,
                  cursor: spec.links ? 'pointer' : 'default', emphasis: {focus: 'series'}};
        })
      };
    },

    pareto: function (spec) {
      var f = formatter(spec);
      return {
        grid: {left: 8, right: 48, top: 40, bottom: 56, containLabel: true},
        legend: {top: 0, textStyle: {color: INK}},
        tooltip: {trigger: 'axis', axisPointer: {type: 'shadow'}, confine: true,
                  formatter: function (ps) {
                    var i = ps[0].dataIndex;
                    return '<b>' + esc(spec.categories[i]) + '</b><br>' + esc(spec.names.value) + ': ' + esc(f(spec.values[i])) +
                      '<br>' + esc(spec.names.cumulative) + ': ' + Math.round(spec.cumulative[i] * 100) + '%' +
                      (spec.links && spec.links[i] && spec.names.click ? '<br><i>' + esc(spec.names.click) + '</i>' : '');
                  }},
        xAxis: {type: 'category', data: spec.categories, axisLabel: {color: MUTED, interval: 0, rotate: spec.categories.length > 4 ? 30 : 0,
                width: 110, overflow: 'truncate'}},
        yAxis: [{type: 'value', name: spec.unit || '', axisLabel: {color: MUTED}, splitLine: {lineStyle: {color: GRID}}},
                {type: 'value', min: 0, max: 1, axisLabel: {color: MUTED, formatter: function (v) { return Math.round(v * 100) + '%'; }},
                 splitLine: {show: false}}],
        dataZoom: zoom(spec, 'x'),
        series: [
          {name: spec.names.value, type: 'bar', barMaxWidth: 48, cursor: spec.links ? 'pointer' : 'default',
           itemStyle: {color: (spec.colors || [])[0] || '#b3261e'},  // the legend's swatch: the biggest bar's colour
           data: spec.values.map(function (v, i) { return {value: v, itemStyle: {color: (spec.colors || [])[i] || '#b3261e'}}; })},
          {name: spec.names.cumulative, type: 'line', yAxisIndex: 1, data: spec.cumulative, itemStyle: {color: INK},
           symbol: 'circle', symbolSize: 6}
        ]
      };
    },

    heatmap: function (spec) {
      var f = formatter(spec);
      return {
        grid: {left: 8, right: 16, top: 8, bottom: 92, containLabel: true},
        tooltip: {confine: true, formatter: function (p) {
          return esc(spec.y[p.value[1]]) + ' · ' + esc(spec.x[p.value[0]]) + '<br><b>' + esc(f(p.value[2])) + '</b>';
        }},
        xAxis: {type: 'category', data: spec.x, splitArea: {show: false}, axisLabel: {color: MUTED}},
        yAxis: {type: 'category', data: spec.y, inverse: true, axisLabel: {color: INK}},
        visualMap: {min: 0, max: spec.max == null ? 1 : spec.max, calculable: false, text: [f(spec.max == null ? 1 : spec.max), f(0)], orient: 'horizontal', left: 'center', bottom: 30,
                    itemHeight: 120, inRange: {color: ['#f2f6f4', spec.color || '#0b6e4f']},
                    formatter: function (v) { return f(v); }, textStyle: {color: MUTED}},
        dataZoom: spec.x.length > 40 ? zoom(spec, 'x') : undefined,
        series: [{type: 'heatmap', data: spec.cells, progressive: 0, emphasis: {itemStyle: {borderColor: INK, borderWidth: 1}}}]
      };
    },

    gantt: function (spec) {
      var colors = spec.colors || {};
      function item(params, api) {
        var row = api.value(0), a = api.coord([api.value(1), row]), b = api.coord([api.value(2), row]);
        var band = api.size([0, 1])[1], kind = spec.bars[params.dataIndex].kind, late = spec.bars[params.dataIndex].late;
        var h = band * (kind === 'booked' ? 0.62 : 0.34);
        var rect = E.graphic.clipRectByRect({x: a[0], y: a[1] - h / 2, width: Math.max(b[0] - a[0], 2), height: h},
          {x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height});
        return rect && {type: 'rect', shape: Object.assign(rect, {r: 3}), transition: ['shape'],
          style: {fill: colors[kind] || '#cfe8dd', stroke: late ? '#b3261e' : null, lineWidth: late ? 3 : 0}};
      }
      var rows = spec.rows.length;
      return {
        useUTC: true,
        grid: {left: 8, right: 24, top: 28, bottom: 56, containLabel: true},
        tooltip: {confine: true, formatter: function (p) {
          if (p.seriesType !== 'custom') return '';
          var bar = spec.bars[p.dataIndex];
          return esc(bar.tip).replace(/\n/g, '<br>') + (bar.href && spec.names.click ? '<br><i>' + esc(spec.names.click) + '</i>' : '');
        }},
        xAxis: {type: 'time', min: spec.start, max: spec.end, position: 'top',
                axisLabel: {color: MUTED, hideOverlap: true, formatter: {year: '{yyyy}', month: '{MM}-{dd}', day: '{MM}-{dd}',
                                                                         hour: '{HH}:{mm}', minute: '{HH}:{mm}'}},
                splitLine: {show: true, lineStyle: {color: GRID}}},
        yAxis: {type: 'category', data: spec.rows, inverse: true, axisLabel: {color: INK, width: 120, overflow: 'truncate'},
                splitLine: {show: true, lineStyle: {color: GRID}}},
        dataZoom: zoom(spec, 'x').concat(rows > 8 ? [{type: 'slider', yAxisIndex: 0, right: 0, width: 14, startValue: 0,
                                                     endValue: 7, showDetail: false, filterMode: 'weakFilter'}] : []),
        series: [
          {type: 'custom', renderItem: item, encode: {x: [1, 2], y: 0}, clip: true,
           data: spec.bars.map(function (b) { return {value: [b.row, b.start, b.end], cursor: b.href ? 'pointer' : 'default'}; })},
          {type: 'line', data: [], silent: true,
           markLine: {symbol: 'none', silent: true, animation: false, lineStyle: {color: '#b3261e', type: 'solid', width: 2},
                      label: {formatter: spec.names.now || '', color: '#b3261e', position: 'end'},
                      data: [{xAxis: spec.now}]}}
        ]
      };
    }
  };

  function href(spec, p) {
    return p.seriesType === 'custom' ? spec.bars[p.dataIndex].href : null;
  }

  function draw(fig) {
    var el = fig.querySelector('script.chart-spec');
    if (!el || fig.classList.contains('charted')) return;
    var spec = JSON.parse(el.textContent);
    if (!build[spec.kind]) return;
    var box = document.createElement('div');
    box.className = 'chart-canvas';
    box.style.height = (spec.height || 300) + 'px';
    fig.insertBefore(box, el);
    var chart = E.init(box, null, {locale: ZH ? 'ZH' : 'EN', renderer: spec.renderer || 'canvas'});
    var option = build[spec.kind](spec);
    option.aria = {enabled: false};  // the figure carries its own translated label
    option.animation = spec.kind !== 'gantt';
    option.textStyle = {fontFamily: getComputedStyle(document.body).fontFamily};
    chart.setOption(option);
    if (spec.kind === 'gantt') {
      chart.on('click', function (p) {
        var to = href(spec, p);
        if (to) window.location.assign(to);
      });
    } else if (spec.links) {
      // anywhere in a category's column or row drills down, not only on its bar (a short bar
      // is hard to hit on a phone, a zero one impossible)
      chart.getZr().on('click', function (e) {
        var at = [e.offsetX, e.offsetY];
        if (!chart.containPixel({gridIndex: 0}, at)) return;
        var v = chart.convertFromPixel({gridIndex: 0}, at);
        var i = Math.round(spec.horizontal ? v[1] : v[0]);
        if (spec.links[i]) window.location.assign(spec.links[i]);
      });
      chart.getZr().setCursorStyle && chart.getZr().on('mousemove', function (e) {
        chart.getZr().setCursorStyle(chart.containPixel({gridIndex: 0}, [e.offsetX, e.offsetY]) ? 'pointer' : 'default');
      });
    }
    fig.classList.add('charted');
    fig.chart = chart;
    window.addEventListener('resize', function () { chart.resize(); });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll('figure[data-chart]'), draw);
    Array.prototype.forEach.call(document.querySelectorAll('button[data-print]'), function (b) {
      b.hidden = false;  // without JS the browser's own print command does the same
      b.addEventListener('click', function () { window.print(); });
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', drawAll);
  else drawAll();
  // printing shows the server's drawing (the whole period, vector); back on screen the canvas returns
  window.addEventListener('afterprint', function () {
    Array.prototype.forEach.call(document.querySelectorAll('figure.charted'), function (f) { f.chart.resize(); });
  });
})();
