"""UI labels in Simplified Chinese and English."""

from planner.i18n import register

register(
    {
        "ui.app_title": {"zh": "再生资源回收网络规划", "en": "Recycling Network Planner"},
        "ui.language": {"zh": "语言 / Language", "en": "Language / 语言"},
        "ui.region": {"zh": "区域", "en": "Region"},
        "ui.page.data": {"zh": "区域数据", "en": "Region data"},
        "ui.page.scenario": {"zh": "情景设置", "en": "Scenario"},
        "ui.page.run": {"zh": "运行规划", "en": "Run"},
        "ui.page.results": {"zh": "规划结果", "en": "Results"},
        "ui.page.compare": {"zh": "方案对比", "en": "Compare"},
        "ui.page.sweep": {"zh": "参数扫描", "en": "Scenario sweep"},
        "ui.scenario.current": {"zh": "当前情景", "en": "Current scenario"},
        "ui.scenario.current_help": {
            "zh": "在“情景设置”页新建、保存、复制、重命名或删除情景。",
            "en": "Create, save, clone, rename or delete scenarios on the Scenario page.",
        },
        "ui.scenario.new_unsaved": {"zh": "（新情景，未保存）", "en": "(new scenario, not saved)"},
        "ui.data.title": {"zh": "区域数据：{region}", "en": "Region data: {region}"},
        "ui.data.approximate_badge": {
            "zh": "近似数据：乡镇/街道与村/社区的边界和位置为程序生成，"
            "人口为按普查县级总数分摊的估算值。"
            "县级边界与人口为真实数据。可在下方导入官方数据替换。",
            "en": "Approximate data: township and community boundaries and locations are "
            "generated, and their population is an estimate apportioned from county census "
            "totals. County boundaries and population are real. Import official files below "
            "to replace them.",
        },
        "ui.data.counties": {"zh": "区县", "en": "Counties"},
        "ui.data.townships": {"zh": "乡镇/街道", "en": "Townships"},
        "ui.data.communities": {"zh": "村/社区", "en": "Communities"},
        "ui.data.population": {"zh": "常住人口", "en": "Resident population"},
        "ui.data.basemap": {"zh": "底图", "en": "Basemap"},
        "ui.data.show_communities": {"zh": "显示村/社区", "en": "Show communities"},
        "ui.data.county_table": {"zh": "区县一览", "en": "Counties"},
        "ui.data.township_table": {"zh": "乡镇/街道一览", "en": "Townships"},
        "ui.col.code": {"zh": "编码", "en": "Code"},
        "ui.col.name": {"zh": "名称", "en": "Name"},
        "ui.col.county": {"zh": "所属区县", "en": "County"},
        "ui.col.kind": {"zh": "类型", "en": "Kind"},
        "ui.col.population": {"zh": "人口", "en": "Population"},
        "ui.col.households": {"zh": "户数", "en": "Households"},
        "ui.col.urban_share": {"zh": "城镇化率", "en": "Urban share"},
        "ui.col.townships": {"zh": "乡镇数", "en": "Townships"},
        "ui.col.communities": {"zh": "村/社区数", "en": "Communities"},
        "ui.col.geometry_quality": {"zh": "几何质量", "en": "Geometry"},
        "ui.col.seat_source": {"zh": "驻地坐标来源", "en": "Seat source"},
        "ui.kind.street": {"zh": "街道", "en": "Street"},
        "ui.kind.town": {"zh": "镇", "en": "Town"},
        "ui.kind.township": {"zh": "乡", "en": "Township"},
        "ui.kind.zone": {"zh": "开发区/林场等", "en": "Zone"},
        "ui.kind.county_direct": {"zh": "县直辖", "en": "County-direct"},
        "ui.quality.approximate": {"zh": "近似", "en": "approximate"},
        "ui.quality.official": {"zh": "官方", "en": "official"},
        "ui.seat.generated": {"zh": "生成", "en": "generated"},
        "ui.seat.geonames": {"zh": "GeoNames", "en": "GeoNames"},
        "ui.error": {"zh": "出错了：{message}", "en": "Something went wrong: {message}"},
    }
)
