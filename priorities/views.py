"""Plan pages: the home page lists themes, priorities and the measures the user may see."""

from django.shortcuts import render

from priorities.selectors import plan_tree


def home(request):
    return render(request, "priorities/home.html", plan_tree(request.user))
