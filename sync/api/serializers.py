"""Output and input shapes shared by several endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class UserRef(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


def user_ref(user: Any) -> dict[str, Any] | None:
    return {"id": user.pk, "username": user.get_username()} if user is not None else None


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class RequiredNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=2000, help_text="why (required: it goes on the problem's trail)")


class CountOutput(serializers.Serializer):
    count = serializers.IntegerField()


def parsed(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validated input, or a 400 with the field errors."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
