/** @odoo-module **/

import { registry } from "@web/core/registry";
import * as tourUtils from "@website_sale/js/tours/tour_utils";

/**
 * A buyer's user, punched in from SAP, shops with the buyer's prices and transfers the cart.
 * The tour starts on /shop after the punch-in; the cart returns to the buyer simulator.
 */
registry.category("web_tour.tours").add("oci_punchout_shop_and_transfer", {
    steps: () => [
        {
            content: "The banner names the buyer and the system the cart goes back to",
            trigger: ".o_punchout_banner:contains('Buyer Industries GmbH'):contains('SAP SRM')",
        },
        {
            content: "No pricelist choice: the buyer's pricelist applies",
            trigger: "body:not(:has(.o_pricelist_dropdown:visible))",
        },
        ...tourUtils.addToCart({ productName: "Ballpoint pen" }),
        {
            content: "The product page shows the buyer's net price",
            trigger: ".oe_price:contains('18.00')",
        },
        tourUtils.goToCart({ quantity: 1 }),
        {
            content: "The cart offers the transfer, not the checkout",
            trigger: ".o_punchout_cart_buttons:not(:has(a[name='website_sale_main_button']))",
        },
        {
            content: "Transfer the cart to SAP",
            trigger: ".o_punchout_cart_buttons button[name='punchout_transfer']",
            run: "click",
        },
        {
            content: "The buyer's system received one item that follows the OCI rules",
            trigger: ".o_punchout_sim_ok",
        },
        {
            content: "with the product and the buyer's price",
            trigger: ".o_punchout_sim_items td.o_punchout_sim_description:contains('Ballpoint pen')",
        },
        {
            trigger: ".o_punchout_sim_items td.o_punchout_sim_price:contains('18')",
        },
    ],
});
