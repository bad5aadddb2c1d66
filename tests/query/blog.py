"""The blog the reporting-query tests share: authors, posts, tags and comments."""

import aksara
from tests.relations.models import RlAuthor, RlComment, RlPost, RlTag


async def blog():
    """Ada: 3 posts, editor of 2; Bo: 1 post, editor of none; Cy: nothing."""
    ada = await RlAuthor.objects.create(name="Ada", email="ada@example.com")
    bo = await RlAuthor.objects.create(name="Bo", email="bo@example.com")
    cy = await RlAuthor.objects.create(name="Cy", email="cy@example.com")
    posts = [
        await RlPost.objects.create(title="a1", rank=5, author=ada, editor=bo),
        await RlPost.objects.create(title="a2", rank=7, author=ada, editor=ada),
        await RlPost.objects.create(title="a3", rank=1, author=ada),
        await RlPost.objects.create(title="b1", rank=4, author=bo, editor=ada),
    ]
    red = await RlTag.objects.create(name="red")
    blue = await RlTag.objects.create(name="blue")
    await posts[0].tags.add(red, blue)
    await posts[1].tags.add(red)
    for body in ("x", "y", "z"):
        await RlComment.objects.create(post=posts[0], body=body)
    return ada, bo, cy, posts


async def plain(sql, *args):
    return [tuple(r) for r in await aksara.get_database().fetch(sql, list(args))]
