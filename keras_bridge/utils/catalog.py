"""Name tables behind ``get`` / ``serialize`` / ``deserialize`` of initializers,
regularizers and constraints: one place for the lookup rules and their error."""


class Catalog:
    """Classes of one kind (``base``) by name, and Keras's config dict round trip.

    Args:
        kind: what the objects are called in errors ('initializer').
        base: their base class.
        names: name -> class (aliases may map to factory functions).
        callable_form: how a plain callable of this kind is described in errors.
    """

    def __init__(self, kind, base, names, callable_form):
        self.kind, self.base, self.names = kind, base, names
        self.callable_form = callable_form

    def unknown(self, identifier):
        article = "an" if self.base.__name__[0] in "AEIOU" else "a"
        return ValueError(
            f"Could not interpret {self.kind} identifier: {identifier!r}. Expected one of "
            f"{sorted(self.names)}, a dict {{'class_name': ..., 'config': ...}}, "
            f"{article} {self.base.__name__}, or a callable {self.callable_form}.")

    def serialize(self, obj):
        if not isinstance(obj, self.base):
            raise ValueError(f"Only {self.base.__name__} instances can be serialized. "
                             f"Received: {obj!r}")
        return {"class_name": type(obj).__name__, "config": obj.get_config()}

    def deserialize(self, config):
        if not isinstance(config, dict) or "class_name" not in config:
            raise self.unknown(config)
        cls = self.names.get(config["class_name"])
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise self.unknown(config["class_name"])
        return cls.from_config(dict(config.get("config") or {}))
