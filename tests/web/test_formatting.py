"""Number formatting filters of the HTML pages (app/web/templating.py)."""

from app.web.templating import fmt_hours, fmt_num, fmt_pct, fmt_usd


def test_percent_keeps_its_sign_on_the_same_line():
    assert fmt_pct(0.5) == "50.0\u00a0%"  # no-break space: "%" never wraps alone
    assert fmt_pct(None) == "—"


def test_numbers_money_and_durations_read_naturally():
    assert fmt_num(1234567) == "1,234,567"
    assert fmt_num(float("nan")) == "—"
    assert fmt_usd(1_234_567) == "$1.23 M"
    assert fmt_hours(0.5) == "30 min" and fmt_hours(10) == "10.0 h" and fmt_hours(96) == "4.0 days"


def test_a_numeric_column_shares_one_decimal_count():
    from app.web.templating import column_decimals, fmt_fixed

    rows = [{"bw": 2.0}, {"bw": 0.864}, {"bw": 8.0}, {"bw": None}, {"tdp": 700}]  # TB/s: H100 PCIe, L40S, GB200
    decimals = column_decimals(rows, ["bw", "tdp"])
    assert decimals == {"bw": 3, "tdp": 0}  # 0.864 needs 3 for three significant figures
    assert [fmt_fixed(r.get("bw"), decimals["bw"]) for r in rows[:4]] == ["2.000", "0.864", "8.000", "—"]
