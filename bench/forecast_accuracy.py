"""Holdout accuracy of ``forecasting.forecast`` against statsforecast, on real series.

    .venv/bin/python bench/forecast_accuracy.py               # datasets table
    .venv/bin/python bench/forecast_accuracy.py --warehouse demo.duckdb   # + the demo
    .venv/bin/python bench/forecast_accuracy.py --speed       # 10 000 x 730 daily timing
    .venv/bin/python bench/forecast_accuracy.py --validate    # selection rules, no holdout
    .venv/bin/python bench/forecast_accuracy.py --combinations  # could any comb tie AutoETS?

Real series: the datasets that ship inside the pmdarima wheel and load offline
(airpassengers, wineind, sunspots: monthly; ausbeer, austres, woolyrnq: quarterly; lynx:
yearly). No daily real series ships offline, so a synthetic daily retail panel (seeded:
smooth weekly-seasonal, trending, erratic and intermittent items) stands in for daily.
Each model is fitted on all but the last ``horizon`` periods and scored on them:

* MASE = mean |e| / in-sample MAE of the seasonal naive (lag = season, 1 for yearly),
  averaged over series; RMSSE likewise with squares (reported for every dataset, the
  relevant one for intermittent series); WAPE = sum|e| / sum|y|; bias = sum(e) / sum|y|
  (e = forecast - actual); CPU = process seconds of fit + forecast (ours includes its
  own backtest).

statsforecast 2.x runs in the same process, same data: AutoETS, SeasonalNaive,
CrostonOptimized and TSB(0.2, 0.2). Needs the ``bench`` extra (statsforecast, pmdarima).

``--validate`` checks selection rules for small monthly / quarterly / yearly panels on
series x origins that the holdout above never sees: the pmdarima series at the 4 origins
before their holdout, and 24 other offline series (statsmodels: co2, elnino, elec_equip,
macrodata, danish_data, interest_inflation, nile, yearly sunspots) at 4 origins. It
prints the geometric mean of holdout MASE relative to the 'ets' candidate (= AutoETS
there) per rule.

``--combinations`` asks whether *any* combination of statsforecast's models would be no
worse than AutoETS on every data set: AutoETS, AutoTheta, AutoARIMA, AutoCES and
DynamicOptimizedTheta are fitted once per case (the cases of ``--validate`` plus the
bench holdout), and each combination rule (mean or median of a subset) is scored: its
geometric mean MASE relative to AutoETS on the validation cases, its holdout MASE per
bench data set and how many of those it loses to AutoETS; then ``comb`` against AutoETS
per validation source (mean MASE over its series and origins).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forecasting import forecast

warnings.filterwarnings("ignore")

SF_FREQ = {"D": "D", "MS": "MS", "QS": "QS", "YS": "YS"}


def _series(name, values, freq, start):
    ds = pd.date_range(start, periods=len(values), freq=freq)
    return pd.DataFrame({"unique_id": name, "ds": ds, "y": np.asarray(values, float)})


def real_datasets():
    """(name, frame, freq, season, horizon) for the offline pmdarima datasets."""
    import pmdarima.datasets as d

    out = []
    for name, freq, m, h, start in [
        ("airpassengers", "MS", 12, 12, "1949-01-01"),
        ("wineind", "MS", 12, 12, "1980-01-01"),
        ("sunspots", "MS", 12, 12, "1749-01-01"),
        ("ausbeer", "QS", 4, 8, "1956-01-01"),
        ("austres", "QS", 4, 8, "1971-04-01"),
        ("woolyrnq", "QS", 4, 8, "1965-01-01"),
        ("lynx", "YS", 1, 10, "1821-01-01"),
    ]:
        y = getattr(d, f"load_{name}")(as_series=True).to_numpy(float)
        out.append((name, _series(name, y, freq, start), freq, m, h))
    return out


def synthetic_daily(n_series=150, n_days=730, seed=0):
    """Seeded daily retail panel: weekly cycle, some trend / yearly swing, promotions-like
    spikes, and a third of intermittent items."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    ds = pd.date_range("2023-01-02", periods=n_days, freq="D")
    rows = []
    for i in range(n_series):
        kind = i % 3
        if kind < 2:
            level = rng.gamma(2.0, 6.0)
            week = 1 + rng.uniform(0.1, 0.6) * np.sin(2 * np.pi * (t % 7) / 7 + rng.uniform(0, 6))
            year = 1 + rng.uniform(0, 0.3) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 6))
            trend = 1 + rng.uniform(-0.4, 0.6) * t / n_days
            lam = level * week * year * trend
            lam *= np.where(rng.random(n_days) < 0.03, 2.5, 1.0)
            y = (
                rng.poisson(np.clip(lam, 0, None))
                if kind == 0
                else rng.negative_binomial(2, 2 / (2 + np.clip(lam, 1e-6, None)))
            )
        else:
            p = rng.uniform(0.05, 0.35)
            y = np.where(rng.random(n_days) < p, rng.integers(1, 12, n_days), 0)
        start = int(rng.integers(0, 200)) if i % 5 == 0 else 0
        rows.append(
            pd.DataFrame(
                {"unique_id": f"s{i:04d}", "ds": ds[start:], "y": np.asarray(y, float)[start:]}
            )
        )
    return pd.concat(rows, ignore_index=True)


def warehouse_panel(path):
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    df = con.execute("select date, item_id, warehouse_id, demand_qty from marts.demand_daily").df()
    con.close()
    df["unique_id"] = df.item_id.astype(str) + "|" + df.warehouse_id.astype(str)
    df = df.groupby(["unique_id", "date"], as_index=False)["demand_qty"].sum()
    df = df.rename(columns={"date": "ds", "demand_qty": "y"})
    df["ds"] = pd.to_datetime(df.ds)
    return dense(df, "D")


def dense(df, freq):
    """Fill missing periods with 0 between each series' first row and the panel end (the
    rule of ``forecast``), so statsforecast sees the same series."""
    end = df.ds.max()
    parts = []
    for uid, g in df.groupby("unique_id", sort=True):
        idx = pd.date_range(g.ds.min(), end, freq=freq)
        y = g.set_index("ds").y.reindex(idx, fill_value=0.0)
        parts.append(pd.DataFrame({"unique_id": uid, "ds": idx, "y": y.to_numpy(float)}))
    return pd.concat(parts, ignore_index=True)


def split(df, h):
    last = df.ds.max()
    cut = sorted(df.ds.unique())[-h]
    del last
    return df[df.ds < cut], df[df.ds >= cut]


def metrics(train, test, pred, m):
    """Mean MASE / RMSSE over series, pooled WAPE and bias."""
    merged = test.merge(pred, on=["unique_id", "ds"], how="left")
    merged["yhat"] = merged["yhat"].fillna(0.0)
    mase, rmsse = [], []
    for uid, g in train.groupby("unique_id"):
        y = g.sort_values("ds").y.to_numpy()
        lag = m if len(y) > m else 1
        d = np.abs(y[lag:] - y[:-lag])
        d = d[np.isfinite(d)]
        s1 = d.mean() if len(d) and d.mean() > 0 else max(np.nanmean(np.abs(y)), 1e-9)
        s2 = (d**2).mean() if len(d) and (d**2).mean() > 0 else max(np.nanmean(y**2), 1e-9)
        t = merged[merged.unique_id == uid]
        e = t.yhat.to_numpy() - t.y.to_numpy()
        mase.append(np.nanmean(np.abs(e)) / s1)
        rmsse.append(np.sqrt(np.nanmean(e**2) / s2))
    merged = merged[merged.y.notna()]
    e = merged.yhat - merged.y
    tot = merged.y.abs().sum()
    return {
        "MASE": np.mean(mase),
        "RMSSE": np.mean(rmsse),
        "WAPE": e.abs().sum() / tot,
        "bias": e.sum() / tot,
    }


def run_ours(train, h, freq, m):
    t0 = time.process_time()
    fc = forecast(train, h, freq, season_length=m)
    return (
        fc[["unique_id", "ds", "yhat"]],
        time.process_time() - t0,
        fc.drop_duplicates("unique_id").model.value_counts(),
    )


def run_sf(train, h, freq, m):
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, AutoETS, CrostonOptimized, SeasonalNaive

    out = {}
    for name, model in [
        ("AutoETS", AutoETS(season_length=m)),
        ("SeasonalNaive", SeasonalNaive(season_length=m)),
        ("CrostonOptimized", CrostonOptimized()),
        ("TSB", TSB(alpha_d=0.2, alpha_p=0.2)),
    ]:
        t0 = time.process_time()
        fc = StatsForecast([model], freq=SF_FREQ[freq], n_jobs=1).forecast(df=train, h=h)
        cpu = time.process_time() - t0
        fc = fc.reset_index() if "unique_id" not in fc.columns else fc
        col = [c for c in fc.columns if c not in ("unique_id", "ds")][0]
        out[name] = (fc.rename(columns={col: "yhat"})[["unique_id", "ds", "yhat"]], cpu)
    return out


def _warm_up():
    """Compile statsforecast's numba kernels once so CPU seconds are fit time."""
    from statsforecast import StatsForecast
    from statsforecast.models import TSB, AutoETS, CrostonOptimized, SeasonalNaive

    df = _series("w", np.arange(1, 49, dtype=float) % 7 + 5, "MS", "2000-01-01")
    StatsForecast(
        [
            AutoETS(season_length=12),
            SeasonalNaive(12),
            CrostonOptimized(),
            TSB(alpha_d=0.2, alpha_p=0.2),
        ],
        freq="MS",
    ).forecast(df=df, h=3)


def accuracy(extra=()):
    _warm_up()
    sets = real_datasets() + [("synthetic_daily", synthetic_daily(), "D", 7, 28)] + list(extra)
    rows, verdict = [], {"beats": [], "ties": [], "loses to": []}
    for name, df, freq, m, h in sets:
        train, test = split(df, h)
        ours, cpu, mix = run_ours(train, h, freq, m)
        res = {"ours": (metrics(train, test, ours, m), cpu)}
        for k, (fc, c) in run_sf(train, h, freq, m).items():
            res[k] = (metrics(train, test, fc, m), c)
        for model, (met, c) in res.items():
            rows.append(
                {
                    "dataset": name,
                    "freq": freq,
                    "h": h,
                    "series": df.unique_id.nunique(),
                    "model": model,
                    **met,
                    "cpu_s": c,
                }
            )
        ours_m, ets_m = res["ours"][0]["MASE"], res["AutoETS"][0]["MASE"]
        tie = abs(ours_m - ets_m) <= 1e-6 * max(abs(ets_m), 1.0)
        verdict["ties" if tie else "beats" if ours_m < ets_m else "loses to"].append(name)
        print(f"{name}: ours chose {dict(mix)}", flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 160, "display.max_rows", 200):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    n = len(sets)
    print(
        "; ".join(
            f"ours {k} AutoETS (mean MASE) on {len(v)} of {n} datasets"
            + (f" ({', '.join(v)})" if v else "")
            for k, v in verdict.items()
        )
    )


def speed(n_series=10_000, n_days=730, sample=100):
    rng = np.random.default_rng(1)
    t = np.arange(n_days)
    lam = rng.gamma(1.5, 4.0, (n_series, 1)) * (1 + 0.3 * np.sin(2 * np.pi * t / 7))[None, :]
    Y = rng.poisson(lam).astype(float)
    inter = rng.random(n_series) < 0.4
    Y[inter] *= rng.random((inter.sum(), n_days)) < 0.2
    ds = pd.date_range("2023-01-02", periods=n_days, freq="D")
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n_series), n_days),
            "ds": np.tile(ds.values, n_series),
            "y": Y.reshape(-1),
        }
    )
    w0, c0 = time.time(), time.process_time()
    fc, cv = forecast(df, 28, "D", return_cv=True)
    wall, cpu = time.time() - w0, time.process_time() - c0
    print(
        f"ours: {n_series} x {n_days} daily, horizon 28, 3 windows, backtest + forecast: "
        f"wall {wall:.1f} s, CPU {cpu:.1f} s, cv rows {len(cv)}"
    )
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    sub = df[df.unique_id < sample]
    StatsForecast([AutoETS(season_length=7)], freq="D").forecast(df=sub[sub.unique_id < 2], h=2)
    w0 = time.time()
    StatsForecast([AutoETS(season_length=7)], freq="D", n_jobs=1).forecast(df=sub, h=28)
    per = (time.time() - w0) / sample
    print(
        f"statsforecast AutoETS, n_jobs=1, forecast only (no backtest): {per * 1000:.0f} ms "
        f"per series -> {per * n_series:.0f} s for {n_series} series "
        f"(x4 with a 3-window backtest: {4 * per * n_series:.0f} s)"
    )


def validation_series():
    """(name, values, freq, season, horizon, is_bench_series) for --validate."""
    import statsmodels.api as sm
    import statsmodels.datasets.elec_equip as ee

    out = [(n, df.y.to_numpy(float), f, m, h, True) for n, df, f, m, h in real_datasets()]
    co2 = sm.datasets.co2.load_pandas().data.co2.resample("MS").mean().interpolate()
    out.append(("co2", co2.to_numpy(float), "MS", 12, 12, False))
    el = sm.datasets.elnino.load_pandas().data.iloc[:, 1:].to_numpy(float).reshape(-1)
    out.append(("elnino", el, "MS", 12, 12, False))
    out.append(("elec_equip", ee.load().data.iloc[:, 0].to_numpy(float), "MS", 12, 12, False))
    mac = sm.datasets.macrodata.load_pandas().data
    for c in [
        "realgdp",
        "realcons",
        "realinv",
        "realgovt",
        "realdpi",
        "cpi",
        "m1",
        "tbilrate",
        "unemp",
        "pop",
        "infl",
        "realint",
    ]:
        out.append((f"macro_{c}", mac[c].to_numpy(float), "QS", 4, 8, False))
    dan = sm.datasets.danish_data.load_pandas().data
    out += [(f"danish_{c}", dan[c].to_numpy(float), "QS", 4, 8, False) for c in dan.columns]
    ii = sm.datasets.interest_inflation.load_pandas().data
    out += [(f"intinf_{c}", ii[c].to_numpy(float), "QS", 4, 8, False) for c in ("Dp", "R")]
    out.append(
        ("nile", sm.datasets.nile.load_pandas().data.volume.to_numpy(float), "YS", 1, 10, False)
    )
    out.append(
        (
            "sunspots_y",
            sm.datasets.sunspots.load_pandas().data.SUNACTIVITY.to_numpy(float),
            "YS",
            1,
            10,
            False,
        )
    )
    return out


def _mase(train, test, fc, m):
    lag = m if len(train) > m else 1
    d = np.abs(train[lag:] - train[:-lag]).mean()
    return np.mean(np.abs(fc - test)) / (d if d > 0 else np.abs(train).mean())


def _switch(win, names, anchor, margin, pool=None):
    """``anchor`` unless a candidate wins every window and the mean by ``margin``."""
    a, pick, best = win[anchor], anchor, np.mean(win[anchor])
    for k in names:
        s = win[k]
        if k == anchor or (pool and k not in pool) or not np.isfinite(np.r_[s, a]).all():
            continue
        if (s < a).all() and s.mean() < a.mean() * (1 - margin) and s.mean() < best:
            pick, best = k, s.mean()
    return pick


def validate_rules():
    from forecasting import api

    rules = {
        "ets (AutoETS)": lambda w, n, ch: "ets",
        "as chosen now": lambda w, n, ch: ch,
        "ets, switch at 10 % + every window": lambda w, n, ch: _switch(w, n, "ets", 0.10),
        "comb": lambda w, n, ch: "comb",
        "comb, switch at 10 % + every window": lambda w, n, ch: _switch(w, n, "comb", 0.10),
        "comb, switch at 30 % + every window": lambda w, n, ch: _switch(w, n, "comb", 0.30),
        "comb, ets if it wins every window by 10 %": lambda w, n, ch: _switch(
            w, n, "comb", 0.10, ["ets"]
        ),
        "lower mean backtest of ets / comb": lambda w, n, ch: min(
            ("ets", "comb"), key=lambda k: np.mean(w[k])
        ),
    }
    rows = []
    for name, y, freq, m, h, bench in validation_series():
        for k in range(1, 5) if bench else range(0, 4):
            n = len(y) - k * h
            train, test = y[: n - h], y[n - h : n]
            if len(train) < 3 * max(m, 4) + h:
                continue
            frame, spec = api.validate(_series(name, train, freq, "1900-01-01"), h, freq)
            res = api.run_engine(frame, spec, h, m, (), 3, None)
            g = res.groups[0]
            if "comb" not in g["names"] or not np.isfinite(g["metrics"]["comb"]["mase"]).any():
                continue
            win = {q: g["metrics"][q]["mase"][:, 0] for q in g["names"]}
            ref = _mase(train, test, g["final"]["ets"][0], m)
            row = {"series": name, "origin": k, "bench": bench}
            for r, f in rules.items():
                pick = f(win, g["names"], str(res.chosen[0]))
                row[r] = _mase(train, test, g["final"][pick][0], m) / ref
            rows.append(row)
            print(f"{name} origin -{k}: chosen {res.chosen[0]}", flush=True)
    df = pd.DataFrame(rows)
    out = []
    for r in rules:
        line = {"rule": r}
        for label, d in (
            ("all", df),
            ("other series", df[~df.bench]),
            ("bench series, earlier origins", df[df.bench]),
        ):
            x = d[r].to_numpy(float)
            line[f"{label} ({len(d)})"] = (
                f"{np.exp(np.log(x).mean()):.3f} ({(x < 0.99).sum()}/{(x > 1.01).sum()})"
            )
        out.append(line)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print("holdout MASE / AutoETS's, geometric mean (cases better / worse by > 1 %)")
        print(pd.DataFrame(out).to_string(index=False))


COMBINATIONS = {  # rule -> (members, how)
    "AutoETS": (("ets",), "mean"),
    "comb (ours: ETS, Theta, ARIMA)": (("ets", "theta", "arima"), "mean"),
    "ETS, Theta": (("ets", "theta"), "mean"),
    "ETS, ARIMA": (("ets", "arima"), "mean"),
    "ETS, CES": (("ets", "ces"), "mean"),
    "ETS, ARIMA, CES": (("ets", "arima", "ces"), "mean"),
    "ETS, DOTM, ARIMA": (("ets", "dotm", "arima"), "mean"),
    "ETS, Theta, ARIMA, CES": (("ets", "theta", "arima", "ces"), "mean"),
    "all five": (("ets", "theta", "arima", "ces", "dotm"), "mean"),
    "median ETS, Theta, ARIMA": (("ets", "theta", "arima"), "median"),
    "median of all five": (("ets", "theta", "arima", "ces", "dotm"), "median"),
}


def validate_combinations():
    from statsforecast.models import (
        AutoARIMA,
        AutoCES,
        AutoETS,
        AutoTheta,
        DynamicOptimizedTheta,
    )

    models = {
        "ets": AutoETS,
        "theta": AutoTheta,
        "arima": AutoARIMA,
        "ces": AutoCES,
        "dotm": DynamicOptimizedTheta,
    }
    cases = []
    for name, y, _freq, m, h, bench in validation_series():
        for k in range(0, 5) if bench else range(0, 4):
            n = len(y) - k * h
            train, test = y[: n - h], y[n - h : n]
            if len(train) < 3 * max(m, 4) + h:
                continue
            fcs = {}
            for key, model in models.items():
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        f = model(season_length=m if m <= 24 else 1).forecast(y=train, h=h)
                    fcs[key] = np.asarray(f["mean"], float)
                except Exception:  # noqa: BLE001 - a model that fails is left out
                    continue
            if "ets" in fcs:
                cases.append((name, k, bench and k == 0, train, test, m, fcs))
        print(f"{name}: fitted", flush=True)

    def score(case, members, how):
        *_, train, test, m, fcs = case
        parts = [fcs[q] for q in members if q in fcs and np.isfinite(fcs[q]).all()]
        fc = np.mean(parts, axis=0) if how == "mean" else np.median(parts, axis=0)
        lag = m if len(train) > m else 1
        d = np.abs(train[lag:] - train[:-lag]).mean()
        return np.nanmean(np.abs(fc - test)) / (d if d > 0 else np.abs(train).mean())

    holdout = [c for c in cases if c[2]]
    valid = [c for c in cases if not c[2]]
    base = {id(c): score(c, ("ets",), "mean") for c in cases}
    rows = []
    for rule, (members, how) in COMBINATIONS.items():
        rel = np.array([score(c, members, how) / base[id(c)] for c in valid])
        row = {
            "rule": rule,
            f"validation gm ({len(valid)})": f"{np.exp(np.log(rel).mean()):.3f}",
            "better/worse": f"{(rel < 0.99).sum()}/{(rel > 1.01).sum()}",
        }
        lost = 0
        for c in holdout:
            v = score(c, members, how)
            row[c[0]] = f"{v:.3f}"
            lost += v > base[id(c)] * (1 + 1e-9)
        row["holdout sets lost"] = lost
        rows.append(row)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print("holdout MASE per bench data set; validation: MASE / AutoETS's, geometric mean")
        print(pd.DataFrame(rows).to_string(index=False))
    per_source: dict[str, list[tuple[float, float]]] = {}
    for c in valid:
        src = c[0].split("_")[0] if c[0].split("_")[0] in ("macro", "danish", "intinf") else c[0]
        comb = COMBINATIONS["comb (ours: ETS, Theta, ARIMA)"]
        per_source.setdefault(src, []).append((score(c, *comb), base[id(c)]))
    print("comb / AutoETS per validation source (mean MASE over its series and origins):")
    worse = 0
    for src, pairs in per_source.items():
        a = np.mean([p[0] for p in pairs])
        b = np.mean([p[1] for p in pairs])
        worse += a > b
        print(
            f"  {src:14s} cases {len(pairs):3d}  comb {a:.3f}  AutoETS {b:.3f}  ratio {a / b:.3f}"
        )
    best = min(rows[1:], key=lambda r: r["holdout sets lost"])
    print(
        f"combinations: {len(COMBINATIONS) - 1} rules, the fewest bench holdout sets lost to "
        f"AutoETS is {best['holdout sets lost']} ({best['rule']}); comb is worse than AutoETS "
        f"on {worse} of {len(per_source)} validation sources"
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", help="DuckDB file with marts.demand_daily")
    ap.add_argument("--speed", action="store_true", help="10 000 x 730 timing only")
    ap.add_argument(
        "--validate",
        action="store_true",
        help="selection rules on series / origins outside the holdout",
    )
    ap.add_argument(
        "--combinations",
        action="store_true",
        help="could a combination of statsforecast models be no worse than AutoETS everywhere?",
    )
    args = ap.parse_args(argv)
    if args.combinations:
        validate_combinations()
        return
    if args.speed:
        speed()
        return
    if args.validate:
        validate_rules()
        return
    extra = []
    if args.warehouse:
        extra.append(("warehouse", warehouse_panel(args.warehouse), "D", 7, 28))
    accuracy(extra)


if __name__ == "__main__":
    main()
