"""moto's whole state pickled as the stack runs and when its server stops, so that a restart does not
replay history.

Replaying is not enough on its own: moto answers a request in a few milliseconds, so replaying every
request ever made grows without bound and soon breaks `make run`'s five seconds. A snapshot records how
much of the recording it covers: a start restores it and replays only what was recorded after it, which
after a clean stop is nothing, and after a crash at most what came since the last periodic snapshot.

A snapshot is only used by the same moto and Python that wrote it; any other, or an unreadable one, is
ignored and the whole recording replayed instead. It is a pickle: the stack loads only the one it wrote
in its own state directory. Runs in the moto child process only."""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import logging
import os
import pickle
import sys
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

log = logging.getLogger("local_stack.moto_snapshot")

FORMAT = 1
# Backends left out of the snapshot: none. moto 5's SSM backend keeps a lambda, which the pickler below
# replaces, so the approvers parameter (`postdesk approvers`) survives a restart; the links' base URL is
# written again at every start anyway.
NOT_KEPT: frozenset[str] = frozenset()


def _runtime() -> dict[str, Any]:
    import moto

    return {"format": FORMAT, "moto": moto.__version__, "python": list(sys.version_info[:2])}


def _private_key(pem: bytes) -> PrivateKeyTypes:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)


# moto 5.2's SSM backend keeps its tags in `defaultdict(lambda: defaultdict(dict))`, and a lambda does
# not pickle; its parameters in a defaultdict subclass whose constructor takes other arguments than
# defaultdict's, so it does not unpickle. The pickler writes both as plain dicts, rebuilt on load.
_SSM_TAGS_FACTORY = "SimpleSystemManagerBackend.__init__.<locals>.<lambda>"


def _is_ssm_tags_factory(factory: object) -> bool:
    return getattr(factory, "__qualname__", "") == _SSM_TAGS_FACTORY


def _tags_of_one_kind() -> defaultdict[str, dict[str, str]]:
    return defaultdict(dict)


def _ssm_resource_tags(
    tags: dict[str, defaultdict[str, dict[str, str]]],
) -> defaultdict[str, defaultdict[str, dict[str, str]]]:
    rebuilt: defaultdict[str, defaultdict[str, dict[str, str]]] = defaultdict(_tags_of_one_kind)
    rebuilt.update(tags)
    return rebuilt


def _ssm_parameters(parameters: dict[str, Any], attributes: dict[str, Any]) -> Any:
    from moto.ssm.models import ParameterDict

    rebuilt = ParameterDict(attributes["account_id"], attributes["region_name"])
    vars(rebuilt).update(attributes)
    rebuilt.update(parameters)
    return rebuilt


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No cyclic garbage collection while (un)pickling: the state is hundreds of thousands of objects
    made at once, each allocation burst set off a collection that walked them all again (4x slower)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _item_attributes(attributes: dict[str, Any]) -> Any:
    """A DynamoDB item's attributes as moto keeps them (its LimitedSizeDict), filled without the size
    check moto runs on every key it sets: that check sums the whole item each time, so unpickling
    an item of n attributes costs n² (seconds for a table of 10,000 proposals), and the item passed
    it when it was written. moto's own `Item.__deepcopy__` skips it the same way."""
    kind = _limited_size_dict()
    restored: dict[str, Any] = kind.__new__(kind)
    dict.update(restored, attributes)
    return restored


@functools.cache
def _limited_size_dict() -> type[dict[str, Any]]:
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    return LimitedSizeDict


def _reduce_attributes(attributes: dict[str, Any]) -> tuple[Any, ...]:
    return _item_attributes, (dict(attributes),)


def _reduce_key(key: Any) -> tuple[Any, ...]:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _private_key, (pem,)


class _Pickler(pickle.Pickler):
    """Pickles moto's keys (some backends keep a cryptography private key, which does not pickle) as PEM,
    and DynamoDB items' attributes as plain dicts (see _item_attributes). Which reduction a type
    needs is decided once per type: the state holds hundreds of thousands of objects."""

    def __init__(self, file: io.BytesIO) -> None:
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._key_types = (
            rsa.RSAPrivateKey,
            ec.EllipticCurvePrivateKey,
            dsa.DSAPrivateKey,
            ed25519.Ed25519PrivateKey,
            ed448.Ed448PrivateKey,
        )
        self._reductions: dict[type, Any] = {LimitedSizeDict: _reduce_attributes}

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is defaultdict and _is_ssm_tags_factory(obj.default_factory):
            return _ssm_resource_tags, (dict(obj),)
        if kind.__name__ == "ParameterDict" and kind.__module__ == "moto.ssm.models":
            return _ssm_parameters, (dict(obj), dict(vars(obj)))
        try:
            reduction = self._reductions[kind]
        except KeyError:
            reduction = self._reductions[kind] = _reduce_key if issubclass(kind, self._key_types) else None
        return NotImplemented if reduction is None else reduction(obj)


def _pickle(state: dict[str, Any]) -> bytes:
    """The state pickled, or an error naming the backend that cannot be."""
    buffer = io.BytesIO()
    try:
        _Pickler(buffer).dump(state)
    except Exception as error:
        for service, accounts in state["backends"].items():
            try:
                _Pickler(io.BytesIO()).dump(accounts)
            except Exception:
                raise TypeError(f"moto's {service} backend cannot be pickled: {error}") from error
        raise
    return buffer.getvalue()


def prepare_pickling() -> None:
    """Import now what pickling imports on first use, so that a snapshot's child (see moto_process)
    imports nothing: the import lock may be held by another thread at the moment of the fork."""
    _Pickler(io.BytesIO())
    _limited_size_dict()
    from cryptography.hazmat.primitives import serialization  # noqa: F401 - used by _reduce_key
    from moto.core.base_backend import BackendDict  # noqa: F401 - used by pickle_state


def pickle_state(covers: int) -> bytes:
    """Every backend moto has in use, pickled with the size of the recording it reflects. The caller
    holds moto's STATE_LOCK, so that no request is half applied in what is pickled."""
    from moto.core.base_backend import BackendDict

    in_use: list[Any] = vars(BackendDict)["_instances"]  # the backends moto has handed out
    backends = {
        backend_dict.service_name: {account: dict(regions) for account, regions in backend_dict.items()}
        for backend_dict in in_use
        if backend_dict.service_name not in NOT_KEPT
    }
    with _no_collection():
        return _pickle({**_runtime(), "covers": covers, "backends": backends})


def write_snapshot(snapshot: Path, data: bytes) -> None:
    """Replace the snapshot atomically: a crash while writing leaves the previous one whole."""
    temporary = snapshot.with_name(snapshot.name + ".new")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, snapshot)


def restore_snapshot(snapshot: Path, recording_size: int) -> int | None:
    """Put the snapshot's backends back into moto and answer the recording offset it covers, or None
    (moto untouched) when there is no usable snapshot."""
    if not snapshot.exists():
        return None
    try:
        with snapshot.open("rb") as file, _no_collection():
            state: dict[str, Any] = pickle.load(file)  # noqa: S301 - our own file, see the docstring
    except Exception as error:
        log.warning("the snapshot %s is unreadable (%s): replaying the whole recording", snapshot, error)
        return None
    runtime = _runtime()
    if {key: state.get(key) for key in runtime} != runtime:
        log.warning("the snapshot was written by %s, not %s: replaying the whole recording", state, runtime)
        return None
    covers = int(state["covers"])
    if covers > recording_size:
        log.warning("the recording is shorter than the snapshot says: replaying the whole recording")
        return None
    from moto.backends import get_backend

    restored: list[tuple[Any, str, str, Any]] = []
    try:
        for service, accounts in state["backends"].items():
            backend_dict = get_backend(service)
            restored.extend(
                (backend_dict, account, region, backend)
                for account, regions in accounts.items()
                for region, backend in regions.items()
            )
    except Exception as error:
        log.warning("the snapshot names a backend moto does not have (%s): replaying everything", error)
        return None
    for backend_dict, account, region, backend in restored:
        backend_dict[account][region] = backend
    return covers
