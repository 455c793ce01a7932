import {
  CurrentPrincipal,
  CurrentReach,
  Ownership,
  OwnershipRule,
  RequireScopes,
  Scope,
  type Principal,
  type Reach,
} from '@orderops/access';
import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiProblems } from '@orderops/core';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { ListOrdersQueryDto, UpdateOrderStatusDto } from './dto/order-requests.dto.js';
import { OrderPageResponse, OrderResponse } from './dto/order.response.js';
import { orderEtag } from './orders.mapper.js';
import { OrdersService } from './orders.service.js';

/**
 * Whole request bodies for Swagger UI's "Try it out": without them it builds one from every
 * property, customer and customerId together, which the API refuses. Each one succeeds when
 * sent again (no externalRef, whose reuse answers 409; the customer is matched by email);
 * test/orders/request-examples.e2e-spec.ts sends them all.
 */
const CREATE_ORDER_EXAMPLES = {
  newCustomer: {
    summary: 'With a customer (created, or matched by email)',
    value: {
      customer: {
        name: 'Jane Doe',
        email: 'jane@example.com',
        phone: '+31 20 123 4567',
        address: { line1: '1 Main Street', city: 'Amsterdam', postalCode: '1011 AB', country: 'NL' },
      },
      currency: 'EUR',
      items: [{ product: 'Laptop', unitPrice: '999.99', quantity: 2 }],
      note: 'Leave at the front desk',
    },
  },
  noCustomer: {
    summary: 'Without a customer',
    value: { currency: 'JPY', items: [{ product: 'Tea', unitPrice: '1200', quantity: 3 }] },
  },
};

/** The two moves a new (placed) order accepts: an order just created takes either. */
const UPDATE_STATUS_EXAMPLES = {
  pay: { summary: 'placed -> paid', value: { status: 'paid' } },
  cancel: { summary: 'placed -> cancelled', value: { status: 'cancelled' } },
};

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @HttpCode(201)
  @RequireScopes(Scope.OrdersWrite)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'Create an order (with a new or known customer, or none)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'replays the first response for 24 h' })
  @ApiBody({ type: CreateOrderDto, examples: CREATE_ORDER_EXAMPLES })
  @ApiCreatedResponse({ type: OrderResponse })
  @ApiProblems({
    400: 'Invalid fields (see errors[]), a malformed body or Idempotency-Key',
    409: 'externalRef is already used by another of your orders',
    422: 'Unknown customerId, or an Idempotency-Key reused with a different body',
  })
  async create(
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderResponse> {
    const { order } = await this.orders.create(principal, reach, body, idempotencyKey);
    void reply.header('Location', `/orders/${order.id}`).header('ETag', orderEtag(order.version));
    return order;
  }

  @Get()
  @RequireScopes(Scope.OrdersRead)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'List orders, newest first, with cursor pagination' })
  @ApiOkResponse({ type: OrderPageResponse })
  @ApiProblems({ 400: 'Invalid filters or a cursor this API did not issue' })
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOrdersQueryDto,
    @CurrentReach() reach: Reach,
  ): Promise<OrderPageResponse> {
    return this.orders.list(principal, query, reach);
  }

  @Get(':id')
  @RequireScopes(Scope.OrdersRead)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'An order with its customer masked' })
  @ApiOkResponse({ type: OrderResponse })
  @ApiProblems({ 400: 'Not an order id', 404: 'No order you can see has this id' })
  async get(
    @Param('id') id: string,
    @CurrentReach() reach: Reach,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderResponse> {
    const order = await this.orders.get(id, reach);
    void reply.header('ETag', orderEtag(order.version));
    return order;
  }

  @Patch(':id')
  @RequireScopes(Scope.OrdersWrite)
  @OwnershipRule(Ownership.Owned)
  @ApiOperation({ summary: 'Move an order along placed -> paid -> shipped -> delivered (or cancel)' })
  @ApiHeader({ name: 'If-Match', required: true, description: 'the ETag of the order being changed' })
  @ApiBody({ type: UpdateOrderStatusDto, examples: UPDATE_STATUS_EXAMPLES })
  @ApiOkResponse({ type: OrderResponse })
  @ApiProblems({
    400: 'Invalid status or order id',
    404: 'No order you can see has this id',
    409: 'The order cannot move from its current status to this one',
    412: 'If-Match does not match the order’s current ETag',
    428: 'If-Match is missing',
  })
  async updateStatus(
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
    @Param('id') id: string,
    @Body() body: UpdateOrderStatusDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderResponse> {
    const order = await this.orders.updateStatus(principal, reach, id, body.status, ifMatch);
    void reply.header('ETag', orderEtag(order.version));
    return order;
  }
}
