"""The drift report as one self-contained HTML page: a verdict table and a bar chart per feature."""

from html import escape

COLOURS = {"stable": "#2e7d32", "moderate": "#ef6c00", "drift": "#c62828"}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }
.verdict { font-weight: bold; }
.bars td { border: none; padding: .1rem .4rem; font-size: .85rem; }
.bar { height: .7rem; display: inline-block; }
.ref { background: #90a4ae; } .live { background: #1e88e5; }
"""


def render_html(report: dict) -> str:
    """The page for a report made by `t5mt.monitor.report.monitor_report`."""
    features = report["features"]
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{feature['psi']}</td>"
        f"<td>{feature.get('ks_statistic', '')}</td>{_verdict_cell(feature['verdict'])}</tr>"
        for name, feature in features.items()
    )
    sections = "".join(_section(name, feature) for name, feature in features.items())
    live, reference = report["live"], report["reference"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>t5mt drift report</title>
<style>{STYLE}</style></head><body>
<h1>Live inputs vs training data</h1>
<p>Run <code>{escape(report["run"])}</code>, log <code>{escape(report["log"])}</code>,
made {escape(report["created"])}.<br>
{live["sentences"]} live sentences from {live["requests"]} requests ({live["skipped"]} failed
requests skipped) against {reference["sentences"]} sentences of the {reference["split"]} split.</p>
<p>Overall: <span class="verdict" style="color:{_colour(report["verdict"])}">
{escape(report["verdict"])}</span> (PSI below 0.1 stable, 0.1–0.25 moderate, above 0.25 drift)</p>
<table><tr><th>feature</th><th>PSI</th><th>KS statistic</th><th>verdict</th></tr>{rows}</table>
{sections}
</body></html>
"""


def _colour(verdict: str) -> str:
    return COLOURS.get(verdict, "#555")


def _verdict_cell(verdict: str) -> str:
    return f'<td class="verdict" style="color:{_colour(verdict)}">{escape(verdict)}</td>'


def _section(name: str, feature: dict) -> str:
    """A feature's shares per bin or category, reference above live."""
    if feature["kind"] == "numeric":
        bins = feature["bins"]
        labels = [f"≤ {edge:g}" if edge is not None else "more" for edge in bins["upper_edges"]]
        reference, live = bins["reference"], bins["live"]
        summary = (
            f"<p>mean {feature['reference']['mean']} → {feature['live']['mean']}, "
            f"p95 {feature['reference']['p95']} → {feature['live']['p95']}, "
            f"KS p-value {feature['ks_p_value']:.3g}</p>"
        )
    else:
        labels, reference, live = feature["categories"], feature["reference"], feature["live"]
        summary = (
            f"<p>rate {feature['reference_rate']} → {feature['live_rate']}</p>"
            if "live_rate" in feature
            else ""
        )
    bars = "".join(
        f"<tr><td>{escape(label)}</td><td>{_bar('ref', r)}<br>{_bar('live', c)}</td></tr>"
        for label, r, c in zip(labels, reference, live, strict=True)
    )
    return (
        f"<h2>{escape(name)}</h2>{summary}"
        f'<p><span class="bar ref" style="width:1rem"></span> training '
        f'<span class="bar live" style="width:1rem"></span> live</p>'
        f'<table class="bars">{bars}</table>'
    )


def _bar(kind: str, share: float) -> str:
    return f'<span class="bar {kind}" style="width:{share * 30:.2f}rem"></span> {share:.1%}'
