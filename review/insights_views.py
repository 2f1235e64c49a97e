"""The Insights page: review figures as charts, each with its table, by workflow and period."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from review import charts, insights
from review.dashboard import workflow_choices
from review.permissions import sees_every_run


@require_GET
@login_required
def insights_page(request: HttpRequest) -> HttpResponse:
    if not sees_every_run(request.user):
        return TemplateResponse(request, "review/forbidden.html", {"what": "Insights"}, status=403)
    period = request.GET.get("period", "30")
    period = period if period in insights.PERIODS else "30"
    workflows = workflow_choices()
    workflow = request.GET.get("workflow", "")
    workflow = workflow if workflow in workflows else ""
    figures = insights.compute(workflow, insights.PERIODS[period])
    return TemplateResponse(
        request,
        "review/insights.html",
        {
            "figures": figures,
            "charts": insights_charts(figures),
            "period": period,
            "periods": [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("all", "All time")],
            "workflow": workflow,
            "workflows": workflows,
        },
    )


def _timing_bars(timings: list[insights.Timing]) -> charts.BarChart:
    return charts.bar_chart(
        [
            (
                item.label,
                item.median_s,
                f"median {charts.duration(item.median_s)}, p90 {charts.duration(item.p90_s)}",
            )
            for item in timings
        ]
    )


def insights_charts(figures: insights.Insights) -> dict[str, object]:
    """Each chart's geometry, from the figures its table shows."""
    approval = sorted(figures.rounds_to_approval.items())
    return {
        "by_step": _timing_bars(figures.by_step),
        "by_reviewer": _timing_bars(figures.by_reviewer),
        "depth": charts.line_chart(figures.depth),
        "rounds": charts.bar_chart(
            [(f"round {number}", count, str(count)) for number, count in approval]
        ),
        "edits": charts.bar_chart(
            [
                (
                    f"round {row.round}",
                    100 * row.edited / row.questions if row.questions else 0,
                    f"{row.edited} of {row.questions} edited",
                )
                for row in figures.rounds
            ]
        ),
    }
