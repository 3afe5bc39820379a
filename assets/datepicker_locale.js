/* Chinese month and weekday names for Dash 4's date pickers, served locally (nothing from a CDN).
   The pickers format with date-fns, which takes its locale from window.dateFns.locale, picked by the
   browser's languages and else the first one listed. The page's language (?lang=, the app's one source
   of truth) decides here instead: Chinese pages get zh-CN, English pages none (date-fns' English). */
(function () {
  "use strict";
  var MONTHS = ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"];
  var DAYS = ["日", "一", "二", "三", "四", "五", "六"];
  var PERIODS = {am: "上午", pm: "下午", midnight: "午夜", noon: "中午", morning: "早上", afternoon: "下午",
                 evening: "晚上", night: "夜间"};
  var zhCN = {
    code: "zh-CN",
    localize: {
      ordinalNumber: function (n) { return "第" + n; },
      era: function (n) { return n ? "公元" : "公元前"; },
      quarter: function (q) { return "第" + q + "季度"; },
      month: function (m, o) {
        var w = o && o.width;
        return w === "narrow" ? String(m + 1) : w === "abbreviated" ? (m + 1) + "月" : MONTHS[m];
      },
      day: function (d, o) {
        var w = o && o.width;
        return w === "wide" ? "星期" + DAYS[d] : w === "abbreviated" ? "周" + DAYS[d] : DAYS[d];
      },
      dayPeriod: function (p) { return PERIODS[p] || p; }
    },
    formatLong: {
      date: function () { return "yyyy-MM-dd"; },
      time: function () { return "HH:mm:ss"; },
      dateTime: function () { return "{{date}} {{time}}"; }
    },
    options: {weekStartsOn: 1, firstWeekContainsDate: 4}
  };
  function english() {
    var lang = new URLSearchParams(window.location.search).get("lang") || "";
    return lang.toLowerCase().indexOf("en") === 0;
  }
  window.dateFns = window.dateFns || {};
  Object.defineProperty(window.dateFns, "locale", {
    configurable: true,
    get: function () { return english() ? {} : {zhCN: zhCN}; }
  });
})();
