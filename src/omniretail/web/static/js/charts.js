// One window-resize handler for every ECharts chart on a console page.
//
// Pages draw their charts with echarts.init() and nothing else: this script resizes them once
// per animation frame after the window changes size, and only charts whose element has a size.
// A chart resized while its element is momentarily zero-sized (the page reflowing, a full-page
// screenshot, a collapsed card) gets a singular map transform and throws inside ECharts.
(function () {
  "use strict";
  let pending = false;
  function resizeAll() {
    pending = false;
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[_echarts_instance_]").forEach((el) => {
      const chart = echarts.getInstanceByDom(el);
      if (!chart || chart.isDisposed() || el.clientWidth === 0 || el.clientHeight === 0) return;
      if (chart.getWidth() === el.clientWidth && chart.getHeight() === el.clientHeight) return;
      chart.resize();
    });
  }
  window.addEventListener("resize", () => {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(resizeAll);
    }
  });
  // Stop animations before the page goes away (no callbacks into a half-unloaded page).
  window.addEventListener("pagehide", () => {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[_echarts_instance_]").forEach((el) => {
      echarts.getInstanceByDom(el)?.dispose();
    });
  });
})();
