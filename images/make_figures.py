"""Draw the post's figures with matplotlib, so they can be regenerated instead of re-screenshotted.

    .venv/bin/python images/make_figures.py            # writes the PNGs next to this file
    .venv/bin/python images/make_figures.py OUT_DIR    # writes them somewhere else

Figures (names kept from the seed draft, which used console screenshots):
    architecture.png                 who talks to whom, and the path that bypasses CloudFront
    screen_cloudfront_policies.png   the behaviour settings that matter, broken versus fixed
    screen_cloudfront_header.png     Host and friends at each hop, broken versus fixed

The content is data (the tables below), the drawing is a few generic helpers. Policy IDs and behaviours are
the ones the post cites; change them here and in the post together.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed, and the same output everywhere
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

HERE = Path(__file__).resolve().parent
FIGURES = ("architecture.png", "screen_cloudfront_policies.png", "screen_cloudfront_header.png")

INK = "#1f2933"
MUTED = "#52606d"
BAD = "#b42318"
BAD_BG = "#fdecea"
GOOD = "#0b6e4f"
GOOD_BG = "#e6f4ea"
BOX_BG = "#f5f7fa"
EDGE = "#9aa5b1"
AWS_ORANGE = "#c45500"

plt.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 10,
        "svg.hashsalt": "hostlab",  # deterministic ids if someone saves SVG
    }
)


def _save(fig, out: Path) -> None:
    # No timestamp or software tag in the PNG, so regenerating gives the same bytes on the same machine.
    fig.savefig(out, dpi=150, bbox_inches="tight", facecolor="white", metadata={"Software": None})
    plt.close(fig)


def _box(ax, x, y, w, h, title, lines=(), *, fc=BOX_BG, ec=EDGE, title_color=INK):
    ax.add_patch(
        FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08", fc=fc, ec=ec, lw=1.2)
    )
    ax.text(
        x + w / 2, y + h - 0.18, title, ha="center", va="top", fontsize=10.5, weight="bold", color=title_color
    )
    for i, line in enumerate(lines):
        ax.text(x + w / 2, y + h - 0.5 - i * 0.27, line, ha="center", va="top", fontsize=8.6, color=MUTED)


def _arrow(ax, start, end, label="", *, color=INK, style="-|>", dashed=False, label_dy=0.14, rad=0.0):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=14,
            lw=1.4,
            color=color,
            linestyle=(0, (4, 3)) if dashed else "-",
            connectionstyle=f"arc3,rad={rad}",
        )
    )
    if label:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + label_dy
        ax.text(mx, my, label, ha="center", va="bottom", fontsize=8.4, color=color)


def architecture(out: Path) -> None:
    fig, ax = plt.subplots(figsize=(13, 4.8))
    ax.set_xlim(0, 13)
    ax.set_ylim(0, 4.8)
    ax.axis("off")

    _box(ax, 0.1, 1.8, 2.2, 1.3, "Viewer", ["browser, curl", "Host: www.example.com"])
    edge_lines = [
        "viewer-request function:",
        "Host -> X-Forwarded-Host",
        "/static/*  CachingOptimized",
        "default  CachingDisabled",
        "+ AllViewerExceptHostHeader",
    ]
    _box(ax, 3.0, 1.3, 3.0, 2.3, "CloudFront edge", edge_lines, ec=AWS_ORANGE)
    front_lines = [
        "shared, Envoy-based",
        "routes by Host:",
        "<id>.<region>.awsapprunner.com",
        "unknown Host -> 404",
    ]
    _box(ax, 7.5, 1.3, 2.9, 2.3, "App Runner front", front_lines, ec=AWS_ORANGE)
    _box(ax, 11.2, 1.6, 1.7, 1.7, "Container", ["your app", "trusts X-Fwd-Host", "only with secret"])

    _arrow(ax, (2.3, 2.45), (3.0, 2.45), "HTTPS")
    _arrow(ax, (6.0, 2.7), (7.5, 2.7), "TLSv1.2 only", color=GOOD)
    origin_request = "Host: service domain\n+ X-Origin-Secret"
    ax.text(6.75, 2.5, origin_request, ha="center", va="top", fontsize=7.6, color=INK)
    _arrow(ax, (10.4, 2.45), (11.2, 2.45), "HTTP/1.1")

    # The path that stays open while the service is public (apprunner-roadmap issue 187 asks for a switch);
    # a private service (IsPubliclyAccessible false, AR-DG network-incoming.html) closes it.
    _arrow(ax, (1.2, 1.8), (8.9, 1.3), "", color=BAD, dashed=True, rad=0.22)
    bypass = (
        "direct hit on https://<id>.<region>.awsapprunner.com: open while the service is public, so the app\n"
        "rejects requests without the secret header (or: private service + internal ALB + VPC origin)"
    )
    ax.text(5.0, 0.15, bypass, ha="center", va="bottom", fontsize=8.4, color=BAD)
    title = "CloudFront in front of App Runner: the fixed setup"
    ax.text(0.1, 4.5, title, fontsize=12.5, weight="bold", color=INK)
    _save(fig, out)


# Rows of the policy figure: (setting, broken value, fixed value, why it matters).
POLICY_ROWS = [
    (
        "Cache policy (default *)",
        "CachingOptimized\nmin 1 s, default 1 day",
        "CachingDisabled\nall TTLs 0",
        "personal pages",
    ),
    (
        "Origin request policy",
        "AllViewer\n(forwards Host)",
        "AllViewerExceptHostHeader",
        "404 from App Runner",
    ),
    ("Cache policy (/static/*)", "(no such behaviour)", "CachingOptimized", "fast static files"),
    ("Viewer-request function", "none", "Host -> X-Forwarded-Host", "app knows public host"),
    ("Origin SSL protocols", "TLSv1, SSLv3\n(CloudFormation default)", "TLSv1.2", "502 at the edge"),
    ("Origin protocol policy", "match-viewer", "https-only", "no plain HTTP to origin"),
    ("Origin custom header", "none", "X-Origin-Secret: <secret>", "bypass detection"),
    ("Error caching min TTL (404)", "10 s (default)", "0 s", "stale 404 after a fix"),
]


def _table(ax, header, rows, col_x, col_w, *, row_h=0.62, top=0.0, bad_col=None, good_col=None):
    y = top
    for x, w, text in zip(col_x, col_w, header, strict=True):
        ax.add_patch(FancyBboxPatch((x, y - row_h), w, row_h, boxstyle="square,pad=0", fc=INK, ec="white"))
        ax.text(
            x + 0.1, y - row_h / 2, text, va="center", ha="left", color="white", weight="bold", fontsize=9.5
        )
    y -= row_h
    for i, row in enumerate(rows):
        for j, (x, w, text) in enumerate(zip(col_x, col_w, row, strict=True)):
            fc, color = ("white" if i % 2 else BOX_BG), INK
            if j == bad_col:
                fc, color = BAD_BG, BAD
            elif j == good_col:
                fc, color = GOOD_BG, GOOD
            ax.add_patch(FancyBboxPatch((x, y - row_h), w, row_h, boxstyle="square,pad=0", fc=fc, ec="white"))
            weight = "bold" if j == 0 else "normal"
            ax.text(
                x + 0.1, y - row_h / 2, text, va="center", ha="left", color=color, fontsize=8.8, weight=weight
            )
        y -= row_h
    return y


def policies(out: Path) -> None:
    col_w = [3.0, 2.9, 3.2, 2.3]
    col_x = [sum(col_w[:i]) for i in range(len(col_w))]
    height = 0.62 * (len(POLICY_ROWS) + 1) + 0.9
    fig, ax = plt.subplots(figsize=(11.6, height))
    ax.set_xlim(0, sum(col_w))
    ax.set_ylim(-height + 0.75, 0.75)
    ax.axis("off")
    ax.text(0, 0.45, "CloudFront settings that decide the outcome", fontsize=12.5, weight="bold", color=INK)
    ax.text(0, 0.12, "left: the setup that breaks; right: the fix (IDs in the post)", fontsize=9, color=MUTED)
    _table(
        ax,
        ["Setting", "Broken setup", "Fixed setup", "Symptom it controls"],
        POLICY_ROWS,
        col_x,
        col_w,
        bad_col=1,
        good_col=2,
    )
    _save(fig, out)


# Rows of the header figure: (hop, header, broken value, fixed value).
HEADER_ROWS = [
    ("viewer -> edge", "Host", "www.example.com", "www.example.com"),
    ("viewer -> edge", "X-Forwarded-Host", "(whatever the viewer sends)", "(replaced by the function)"),
    ("edge -> App Runner", "Host", "www.example.com  (AllViewer)", "<id>.<region>.awsapprunner.com"),
    ("edge -> App Runner", "X-Forwarded-Host", "(viewer's, unchecked)", "www.example.com"),
    ("edge -> App Runner", "X-Origin-Secret", "-", "<secret>"),
    ("edge -> App Runner", "TLS", "TLSv1, SSLv3  (502 if the origin refuses them)", "TLSv1.2"),
    ("App Runner -> app", "result", "404, server: envoy  /  502 at the edge", "200 from your app"),
]


def headers(out: Path) -> None:
    col_w = [2.5, 2.2, 3.9, 3.7]
    col_x = [sum(col_w[:i]) for i in range(len(col_w))]
    height = 0.62 * (len(HEADER_ROWS) + 1) + 0.9
    fig, ax = plt.subplots(figsize=(12.3, height))
    ax.set_xlim(0, sum(col_w))
    ax.set_ylim(-height + 0.75, 0.75)
    ax.axis("off")
    ax.text(0, 0.45, "The Host header at each hop", fontsize=12.5, weight="bold", color=INK)
    ax.text(
        0,
        0.12,
        "what App Runner's shared front sees decides whether your app is reached",
        fontsize=9,
        color=MUTED,
    )
    _table(
        ax, ["Hop", "Header", "Broken setup", "Fixed setup"], HEADER_ROWS, col_x, col_w, bad_col=2, good_col=3
    )
    _save(fig, out)


def main(out_dir: Path = HERE) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in FIGURES]
    for draw, path in zip((architecture, policies, headers), paths, strict=True):
        draw(path)
    return paths


if __name__ == "__main__":
    for written in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(written)
