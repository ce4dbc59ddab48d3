"""Badge criteria: rules as a tree, facts about learners, explainable evaluation, award policy."""
