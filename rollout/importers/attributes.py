"""A row's attributes checked against the vocabulary: stage, technology, numbers, dates, funding."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rollout.stages import FUTURE_STAGES, Funding, Stage
from rollout.vocabulary import (
    FUNDING_SYNONYMS,
    STAGE_SYNONYMS,
    TARGET_GROUP_SYNONYMS,
    TECHNOLOGY_SYNONYMS,
    expected_end,
    map_value,
    parse_expected,
)

# The canonical fields FeatureValidator._attributes reads besides key and name.
ATTRIBUTE_FIELDS = (
    "stage",
    "technology",
    "funding",
    "target_group",
    "subsidy_programme",
    "cancel_reason",
    "max_down",
    "max_up",
    "quota",
    "connection_fee",
    "expected",
    "quota_deadline",
)


class AttributeChecks:
    """FeatureValidator's attribute checks (a mixin: the state lives on the validator)."""

    def _attributes(self, row: dict, index: int) -> dict | None:
        """The feature's attributes, or None when any of them is wrong (each reported)."""
        errors_before = self.report.error_count
        key = self.value(row, "key")
        feature = {
            "row": index,
            "key": str(key).strip() if key is not None else f"row-{index}",
            "name": str(self.value(row, "name") or "")[:200],
            "stage": self._mapped(row, index, "stage", STAGE_SYNONYMS),
            "technology": self._mapped(row, index, "technology", TECHNOLOGY_SYNONYMS),
            "funding": self._mapped(row, index, "funding", FUNDING_SYNONYMS, default=Funding.OWN),
            "target_group": self._mapped(row, index, "target_group", TARGET_GROUP_SYNONYMS, default="residential"),
            "subsidy_programme": str(self.value(row, "subsidy_programme") or "")[:200],
            "cancel_reason": str(self.value(row, "cancel_reason") or ""),
            "max_down_mbits": self._number(row, index, "max_down"),
            "max_up_mbits": self._number(row, index, "max_up"),
            "quota_percent": self._number(row, index, "quota", upper=100),
            "connection_fee_eur": self._fee(row, index),
        }
        self._dates(row, index, feature)
        self._stage_rules(index, feature)
        errors_after = self.report.error_count
        return feature if errors_after == errors_before else None

    def _mapped(self, row: dict, index: int, field: str, table: dict, default: str | None = None) -> str | None:
        value = self.value(row, field)
        if value is None:
            if default is None:
                self.report.error(f"missing {field}", row=index, field=field, expected="a value")
            return default
        try:
            return map_value(value, table, what=field)
        except ValueError as exc:
            self.report.error(f"unknown {field}", row=index, field=field, value=value, expected=str(exc))
            return None

    def _number(self, row: dict, index: int, field: str, upper: int | None = None) -> int | None:
        value = self.value(row, field)
        if value is None:
            return None
        try:
            number = int(float(str(value).replace(",", ".")))
        except ValueError:
            number = -1
        if number < 0 or (upper is not None and number > upper):
            expected = f"a whole number from 0 to {upper}" if upper else "a whole number ≥ 0"
            self.report.error(f"invalid {field}", row=index, field=field, value=value, expected=expected)
            return None
        return number

    def _fee(self, row: dict, index: int) -> str | None:
        value = self.value(row, "connection_fee")
        if value is None:
            return None
        try:
            fee = Decimal(str(value).replace("€", "").replace(",", ".").strip())
        except InvalidOperation:
            fee = Decimal(-1)
        if fee < 0:
            self.report.error("invalid connection fee", row=index, field="connection_fee", value=value, expected="€")
            return None
        return str(fee.quantize(Decimal("0.01")))

    def _dates(self, row: dict, index: int, feature: dict) -> None:
        for field, target in (("expected", "expected"), ("quota_deadline", "quota_deadline")):
            feature[f"{target}_date"] = None
            value = self.value(row, field)
            if value is None:
                continue
            try:
                when, precision = parse_expected(value)
            except ValueError as exc:
                self.report.error(f"unparseable {field}", row=index, field=field, value=value, expected=str(exc))
                continue
            feature[f"{target}_date"] = when.isoformat()
            if target == "expected":
                feature["expected_precision"] = precision
            # A sign-up deadline only has to lie ahead while the area is still in pre-marketing.
            ahead = (Stage.PRE_MARKETING,) if target == "quota_deadline" else FUTURE_STAGES
            if feature["stage"] in ahead and expected_end(when, precision) < self.today:
                self.report.error(
                    f"{field} lies in the past", row=index, field=field, value=value, expected="today or later"
                )

    def _stage_rules(self, index: int, feature: dict) -> None:
        stage = feature["stage"]
        if stage == Stage.PLANNED and feature["expected_date"] is None:
            self.report.error("a planned area needs its quarter", row=index, field="expected", expected="Q3/2027")
        if stage == Stage.PRE_MARKETING and (
            feature["quota_percent"] is None or feature["quota_deadline_date"] is None
        ):
            self.report.error("pre-marketing needs a sign-up quota and deadline", row=index, field="quota")
        if stage == Stage.CANCELLED and not feature["cancel_reason"]:
            self.report.error("a cancelled area needs a reason", row=index, field="cancel_reason")
        if feature["funding"] == Funding.SUBSIDY and not feature["subsidy_programme"]:
            self.report.error("subsidised areas name their programme", row=index, field="subsidy_programme")
