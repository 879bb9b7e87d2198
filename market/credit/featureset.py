"""The credit features: name, time window, which direction is better, and the words a
lender and a factory read (labels and Reg B-style reasons, en + zh-CN). Pure data.

Every feature is a number or missing (a young factory has no deliveries yet); the
scorecard gives missing its own bin, so missing is scored, never imputed silently.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    window_days: int | None  # None: over the whole history
    higher_is_better: bool
    unit: str  # "ratio" (0..1, shown as %), "days", "hours", "months", "minor", "log10", "per_month"
    en: str
    zh_CN: str
    reason_en: str  # why this pulled the score down
    reason_zh_CN: str
    ledger_verified: bool  # its evidence is recomputable from ledger entries

    def label(self, locale: str) -> str:
        return self.zh_CN if locale.startswith("zh") else self.en

    def reason(self, locale: str) -> str:
        return self.reason_zh_CN if locale.startswith("zh") else self.reason_en

    @property
    def monotonic_trend(self) -> str:
        """optbinning's trend of the default rate as the feature grows."""
        return "descending" if self.higher_is_better else "ascending"


FEATURES: tuple[FeatureSpec, ...] = (
    FeatureSpec("oee_mean_90d", 90, True, "ratio", "OEE level (90 days)", "设备综合效率水平（90天）",
                "Machine effectiveness (OEE) is low", "设备综合效率（OEE）偏低", True),
    FeatureSpec("oee_trend_180d", 180, True, "per_month", "OEE trend per month (180 days)", "OEE月度趋势（180天）",
                "Machine effectiveness (OEE) has been falling", "设备综合效率（OEE）持续下降", True),
    FeatureSpec("oee_volatility_90d", 90, False, "ratio", "OEE day-to-day variability (90 days)", "OEE日波动（90天）",
                "Daily output is unstable", "日产出不稳定", True),
    FeatureSpec("utilization_90d", 90, True, "ratio", "Booked share of offered capacity (90 days)", "产能利用率（90天）",
                "Little of the offered capacity is booked", "发布产能的预订比例低", False),
    FeatureSpec("downtime_share_90d", 90, False, "ratio", "Share of machine time down (90 days)", "设备停机时间占比（90天）",
                "Machines are down for a large share of the time", "设备停机时间占比高", False),
    FeatureSpec("mttr_hours_90d", 90, False, "hours", "Mean time to repair (90 days)", "平均修复时间（90天）",
                "Breakdowns take long to repair", "故障修复时间长", False),
    FeatureSpec("on_time_rate_180d", 180, True, "ratio", "On-time delivery rate (180 days)", "准时交付率（180天）",
                "Too many deliveries were late", "延迟交付比例过高", True),
    FeatureSpec("avg_lateness_days_180d", 180, False, "days", "Average lateness (180 days)", "平均延迟天数（180天）",
                "Late deliveries were very late", "延迟交付的延误天数长", True),
    FeatureSpec("qc_pass_rate_180d", 180, True, "ratio", "QC pass rate (180 days)", "质检合格率（180天）",
                "Too many lots failed quality control", "质检不合格批次过多", True),
    FeatureSpec("dispute_rate_180d", 180, False, "ratio", "Disputed share of orders (180 days)", "争议订单占比（180天）",
                "Buyers disputed too many orders", "买方争议订单比例高", True),
    FeatureSpec("cancellation_rate_180d", 180, False, "ratio", "Cancelled share of accepted orders (180 days)",
                "已接订单取消比例（180天）", "Too many accepted orders were cancelled", "已接订单被取消比例高", True),
    FeatureSpec("revenue_log10_180d", 180, True, "log10", "Verified platform revenue, log10 of yuan (180 days)",
                "平台核验收入（180天，元的对数）", "Verified revenue on the platform is small", "平台核验收入规模小", True),
    FeatureSpec("revenue_growth_90d", 90, True, "ratio", "Revenue growth, last 90 days against the 90 before",
                "收入增长率（近90天对比前90天）", "Revenue is shrinking", "收入下滑", True),
    FeatureSpec("customer_concentration_180d", 180, False, "ratio", "Largest buyer's share of revenue (180 days)",
                "最大客户收入占比（180天）", "Revenue depends on very few buyers", "收入过度依赖少数客户", True),
    FeatureSpec("tenure_months", None, True, "months", "Tenure on the platform", "平台经营时长",
                "Short history on the platform", "在平台经营时间短", True),
    FeatureSpec("repayment_late_share", None, False, "ratio", "Share of earlier repayments paid late",
                "历史还款逾期比例", "Earlier financing was repaid late", "以往融资存在逾期还款", True),
)

BY_NAME = {f.name: f for f in FEATURES}
NAMES = tuple(f.name for f in FEATURES)

# what a unit is called where a figure is printed (en, zh-CN)
UNIT_WORDS = {"per_month": ("pp/month", "个百分点/月"), "days": ("days", "天"), "hours": ("h", "小时"),
              "months": ("months", "个月")}


def format_value(spec: FeatureSpec, value: float | None, locale: str) -> str:
    """A feature's value as a reader sees it, with its unit: ratios in %, OEE trend in
    percentage points per month, days, hours, months, and revenue (log10 of yuan) in yuan."""
    zh = locale.startswith("zh")
    if value is None:
        return "无数据" if zh else "no data"
    if spec.unit == "ratio":
        return f"{value * 100:.1f}%"
    if spec.unit == "log10":
        return f"¥{round(10 ** value):,}"
    words = UNIT_WORDS.get(spec.unit)
    number = {"per_month": f"{value * 100:.2f}", "days": f"{value:.2f}", "hours": f"{value:.1f}",
              "months": f"{value:.1f}"}.get(spec.unit, f"{value:.2f}")
    return f"{number} {words[1] if zh else words[0]}" if words else number
