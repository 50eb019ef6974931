"""Evaluation: outcome surveys, responses, scores, partner performance and term reports."""
