// Draws every chart of a dashboard or report page from the JSON that the server put beside it
// (ECharts, served by the app). The numbers are also in the table under each chart.
(() => {
  const pct = v => (v * 100).toFixed(0) + '%';
  const wan = v => (v ?? 0).toLocaleString('zh-CN');
  function option(c) {
    const fmt = c.unit === 'pct' ? pct : wan;
    if (c.kind === 'sankey') {
      const names = [...new Set(c.links.flatMap(l => [l[0], l[1]]))];
      return {animation: false, tooltip: {trigger: 'item'}, series: [{type: 'sankey', left: 20, right: 80,
        data: names.map(name => ({name})), links: c.links.map(l => ({source: l[0], target: l[1], value: l[2]})),
        emphasis: {focus: 'adjacency'}, lineStyle: {color: 'gradient', curveness: 0.5}}]};
    }
    if (c.kind === 'radar') {
      return {animation: false, tooltip: {}, legend: {bottom: 0},
        radar: {indicator: c.categories.map(name => ({name, max: 1})), radius: '62%'},
        series: [{type: 'radar', data: c.series.map(([name, value]) => ({name, value}))}]};
    }
    const series = c.series.map(([name, data]) => ({name, type: c.kind, data, stack: c.stacked ? 'all' : undefined,
      barMaxWidth: 40, connectNulls: true}));
    if (c.reference && series.length) {
      series[0].markLine = {symbol: 'none', data: [{yAxis: c.reference[1], name: c.reference[0]}],
        label: {position: 'insideEndTop', formatter: c.reference[0] + ' ' + fmt(c.reference[1])}, lineStyle: {color: '#d62728', type: 'dashed'}};
    }
    return {animation: false, legend: {top: 0}, tooltip: {trigger: 'axis', valueFormatter: fmt},
      grid: {left: 60, right: 20, top: 30, bottom: c.categories.length > 8 ? 70 : 30},
      xAxis: {type: 'category', data: c.categories, axisLabel: {interval: 0, rotate: c.categories.length > 8 ? 35 : 0}},
      yAxis: {type: 'value', axisLabel: {formatter: fmt}}, series};
  }
  document.querySelectorAll('[data-chart]').forEach(el => {
    const data = JSON.parse(document.getElementById(el.dataset.chart).textContent);
    const chart = echarts.init(el);
    chart.setOption(option(data));
    window.addEventListener('resize', () => chart.resize());
  });
})();
