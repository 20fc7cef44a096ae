"""The decoding rule the detector's description carries (labels and thresholds travel with it)."""


def decode_rule(threshold, class_thresholds):
    if class_thresholds is None:
        return {"threshold": threshold, "connectivity": 8,
                "rule": "a cell is positive for the most probable digit when its probability >= threshold; "
                        "8-connected positive cells of one digit are one object at their probability-weighted "
                        "centre"}
    return {"threshold": threshold, "class_thresholds": class_thresholds, "connectivity": 8,
            "rule": "a cell is positive for the most probable digit when its probability >= that digit's entry "
                    "in class_thresholds (indexed by label; threshold if null); 8-connected positive cells of "
                    "one digit are one object at their probability-weighted centre"}
