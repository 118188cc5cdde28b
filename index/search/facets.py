"""What a build holds, for filter choices and corpus counts: computed once per build."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from index.models import Document, Facets, Passage


def corpus_facets(documents: Iterable[Document], passages: Iterable[Passage]) -> Facets:
    documents = list(documents)
    per_document = Counter(p.doc_id for p in passages)
    return Facets(
        sources=sorted({d.source for d in documents if d.source}),
        districts=sorted({d.district for d in documents if d.district}),
        documents=len(documents),
        passages=sum(per_document.values()),
        passages_per_document=dict(per_document),
    )
